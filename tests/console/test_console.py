"""The worker and host consoles in a real browser (Debian's headless Chromium) against the real
backend and Rasa: what a social worker and a livestream host actually do."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.console.support import PAGES, Sample, answer_batch, log_in
from testsupport.servers import Stack, staff_client


def test_login_is_required_and_a_wrong_password_is_told_in_chinese(
    browser: Browser, stack: Stack, sample: Sample
) -> None:
    context = browser.new_context(locale="zh-CN")
    tab = context.new_page()
    tab.goto(f"{stack.backend.url}/console/charts")
    expect(tab).to_have_url(re.compile(r"/console/login$"))
    tab.get_by_label("用户名").fill("admin")
    tab.get_by_label("密码").fill("not the password")
    tab.get_by_role("button", name="登录").click()
    expect(tab.get_by_role("alert")).to_have_text("用户名或密码不正确。")
    log_in(tab, stack.backend)
    tab.get_by_role("button", name="退出登录").click()
    tab.goto(f"{stack.backend.url}/console/")
    expect(tab).to_have_url(re.compile(r"/console/login$"))
    context.close()


def test_queue_pins_emergencies_and_filters(page: Page, stack: Stack, sample: Sample) -> None:
    alerts = page.locator("section.alerts")
    expect(alerts).to_contain_text("我老伴摔倒了起不来")
    expect(alerts).to_contain_text("刘大爷两天没出门")
    page.get_by_label("类型").select_option("case")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#queue")).not_to_contain_text("H000001")
    # Emergencies stay pinned whatever the filter.
    expect(alerts).to_contain_text("我老伴摔倒了起不来")
    page.get_by_label("紧急程度").select_option("urgent")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#queue tbody")).to_contain_text("没有符合条件的待办")


def test_worker_dispatches_a_booking(page: Page, stack: Stack, sample: Sample) -> None:
    page.goto(f"{stack.backend.url}/console/bookings")
    row = page.locator(f"#waiting tr[data-booking='{sample.booking}']")
    # Only workers of providers offering 助洁 (and not on red) are offered.
    options = row.get_by_label("服务人员").locator("option")
    expect(options).to_have_count(1)
    expect(options).to_contain_text(sample.good_provider)
    row.get_by_label("服务人员").select_option(
        options.filter(has_text=sample.worker).get_attribute("value")
    )
    row.get_by_role("button", name=f"派单 {sample.booking}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{sample.booking} 已派给 {sample.worker}")
    expect(page.locator(f"#dispatched tr[data-booking='{sample.booking}']")).to_contain_text(
        sample.worker
    )
    with staff_client(stack.backend) as staff:
        booking = staff.get(f"/bookings/{sample.booking}").json()
    assert booking["status"] == "dispatched" and booking["worker_username"] == sample.worker


def test_worker_moves_a_case_through_its_states_with_comments(
    page: Page, stack: Stack, sample: Sample
) -> None:
    page.goto(f"{stack.backend.url}/console/cases/{sample.case}")
    expect(page.locator("#case-status")).to_have_text("已提交")
    # The household's one file already shows the application.
    expect(page.locator("ol.timeline")).to_contain_text(sample.case)
    steps = [
        ("受理", "已受理", "已电话核实情况"),
        ("转入审核", "审核中", "入户调查已约"),
        ("审核通过", "审核通过", "街道审批同意"),
        ("确认已发放", "已发放", "首月已发放"),
    ]
    for action, status, comment in steps:
        page.get_by_role("radio", name=action, exact=True).check()
        page.get_by_label("办理说明").fill(comment)
        page.get_by_role("button", name="提交").click()
        expect(page.locator("#case-status")).to_have_text(status)
        expect(page.locator("#case-events")).to_contain_text(comment)
    expect(page.get_by_text("这件申请已办结")).to_be_visible()
    with staff_client(stack.backend) as staff:
        case = staff.get(f"/cases/{sample.case}").json()
    assert case["status"] == "paid"
    assert [event["comment"] for event in case["events"]][1:] == [c for _, _, c in steps]


def test_a_rejection_without_reason_is_refused_in_chinese(
    page: Page, stack: Stack, sample: Sample
) -> None:
    page.goto(f"{stack.backend.url}/console/cases/A000002")
    page.get_by_role("radio", name=re.compile("^不予受理")).check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert")).to_have_text("不予受理必须填写原因，原因会告知申请人。")
    expect(page.locator("#case-status")).to_have_text("已提交")


def test_callbacks_needs_and_provider_lights(page: Page, stack: Stack, sample: Sample) -> None:
    url = stack.backend.url
    page.goto(f"{url}/console/providers")
    expect(page.locator(f"tr[data-provider='{sample.warned_provider}']")).to_have_attribute(
        "data-light", "yellow"
    )
    expect(page.locator(f"tr[data-provider='{sample.warned_provider}']")).to_contain_text("黄灯")
    expect(page.locator(f"tr[data-provider='{sample.good_provider}']")).to_contain_text("绿灯")
    page.goto(f"{url}/console/callbacks")
    card = page.locator("section.card", has_text="独居老人近况")
    card.get_by_label("接通了").check()
    card.get_by_label("回访记录").fill("老人身体还好，想要助餐")
    card.get_by_role("button", name="保存回访结果").click()
    expect(page.get_by_role("status")).to_have_text("回访结果已记录。")
    expect(page.locator("section.card", has_text="独居老人近况")).to_have_count(0)
    page.goto(f"{url}/console/needs")
    report = page.locator("section.card", has_text="刘大爷两天没出门")
    report.get_by_label("改为").select_option("following_up")
    report.get_by_label("跟进说明").fill("已联系网格员上门")
    report.get_by_role("button", name=re.compile("保存")).click()
    expect(page.locator("section.card", has_text="刘大爷两天没出门")).to_contain_text("跟进中")


def test_charts_render_with_data(page: Page, stack: Stack, sample: Sample) -> None:
    page.goto(f"{stack.backend.url}/console/charts")
    mix = page.locator("svg[data-chart='service-mix'] g.bar")
    expect(mix).to_have_count(3)
    # 助洁 is three of the five bookings: the biggest bar, labelled with its share.
    expect(mix.first).to_have_attribute("data-label", "助洁")
    expect(mix.first).to_have_attribute("data-value", "3")
    expect(mix.first).to_contain_text("60%")
    segments = page.locator("svg[data-chart='weekly-volume'] rect.segment")
    values = [int(v) for v in segments.evaluate_all("els => els.map(e => e.dataset.value)")]
    assert sum(values) == 5 + 3 + 0  # bookings and cases this week (the host test adds none)
    ages = page.locator("svg[data-chart='open-by-age'] g.bar")
    assert int(ages.first.get_attribute("data-value") or 0) >= 2
    box = page.locator("svg[data-chart='service-mix']").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100


def test_host_answers_a_batch_groups_repeats_and_flags_a_follow_up(
    page: Page, stack: Stack, sample: Sample
) -> None:
    answer_batch(page, stack.backend)
    groups = page.locator("section.group")
    # The two 高龄津贴 questions share one answer; the stock tip is not understood.
    expect(groups).to_have_count(3)
    expect(groups.first).to_have_attribute("data-questions", "2")
    expect(groups.first.locator("p.answer")).to_contain_text("100元")
    expect(page.locator("section.group", has_text="助手没听懂")).to_contain_text("股票")
    read_out = page.locator("#read-out")
    expect(read_out).to_contain_text("张阿姨、李大爷问：高龄津贴一个月能领多少钱")
    expect(read_out).to_contain_text("答：")
    contact = page.get_by_label("联系方式").first
    expect(contact).to_have_value("13800138000")
    page.locator("fieldset.question", has_text="张阿姨").get_by_label("需要跟进").check()
    page.get_by_role("button", name="为勾选的问题生成需求上报").click()
    created = page.locator("#created-reports")
    expect(created).to_contain_text("N")
    number = re.search(r"N\d{6}", created.inner_text())
    assert number
    with staff_client(stack.backend) as staff:
        report = staff.get(f"/need-reports/{number.group()}").json()
    assert report["channel"] == "livestream"
    assert "张阿姨" in report["text"] and "13800138000" in report["text"]
    assert "高龄津贴" in report["text"] and report["source_detail"] == "小红船直播 第12场"
    # The export is the read-out text as a file.
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("下载朗读稿")).click()
    path = download.value.path()
    assert "高龄津贴一个月能领多少钱" in path.read_text(encoding="utf-8")


def test_every_page_passes_axe_with_no_serious_or_critical_violation(
    page: Page, stack: Stack, sample: Sample
) -> None:
    axe = Axe()
    failures = {}
    for name, (path, heading) in PAGES.items():
        page.goto(f"{stack.backend.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        failures[name] = serious(axe.run(page).response)
    answer_batch(page, stack.backend)
    failures["host_results"] = serious(axe.run(page).response)
    page.context.clear_cookies()
    page.goto(f"{stack.backend.url}/console/login")
    failures["login"] = serious(axe.run(page).response)
    assert not any(failures.values()), failures


def serious(response: dict[str, object]) -> list[str]:
    violations = response["violations"]
    assert isinstance(violations, list)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_base_font_is_at_least_18px_and_contrast_is_checked(page: Page, stack: Stack) -> None:
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('td')).fontSize)")
    assert size >= 18
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body >= 18


def test_pages_reflow_at_200_percent_zoom(browser: Browser, stack: Stack, sample: Sample) -> None:
    """200 % zoom of a 1280 px window is a 640 CSS px viewport: nothing may need sideways
    scrolling of the page itself (wide tables scroll inside their own box)."""
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 640, "height": 450}, device_scale_factor=2
    )
    tab = context.new_page()
    log_in(tab, stack.backend)
    for path, _ in PAGES.values():
        tab.goto(f"{stack.backend.url}{path}")
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, (path, overflow)
        expect(tab.get_by_role("heading", level=1)).to_be_in_viewport()
    context.close()


def test_keyboard_reaches_the_main_controls_with_a_visible_focus(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.backend.url}/console/")
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement; const s = getComputedStyle(e);
            return {tag: e.tagName, text: (e.id || e.innerText || '').trim(),
                    outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"""
        )
        if focused["tag"] == "BODY":
            break  # past the last control
        reached.append(focused["text"])
        assert focused["outline"] != "none" and focused["width"] >= 2, focused
    for control in ("跳到主要内容", "派单", "直播答疑", "退出登录", "f-type", "筛选", "A000002"):
        assert control in reached, reached
    # The skip link takes keyboard users past the navigation.
    page.goto(f"{stack.backend.url}/console/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
