"""Chinese names for the canonical codes the NLU and the backend share.

The words for booking and case statuses are `common.labels`'s: the consoles show the same.
"""

POLICY_NAMES = {
    "dibao": "低保",
    "tekun": "特困人员救助供养",
    "linshi_jiuzhu": "临时救助",
    "gaoling_jintie": "高龄津贴",
    "canji_butie": "残疾人两项补贴",
    "yiliao_jiuzhu": "医疗救助",
    "canjizheng": "残疾人证",
    "jujia_yanglao": "居家养老服务补贴",
    "fuwulei_jiuzhu": "服务类社会救助",
    "ertong_guanai": "困境儿童关爱",
    "yanglao_jigou": "养老机构入住",
    "shebao": "社会保险",
}

SERVICE_NAMES = {
    "zhucan": "助餐送餐",
    "zhujie": "助洁（打扫卫生）",
    "zhuyu": "助浴",
    "zhuyi": "助医陪诊",
    "lifa": "上门理发",
    "kangfu": "康复理疗",
    "jiaoche": "叫车接送",
    "peiliao": "陪聊",
    "daiban": "代办代购",
    "weixiu": "上门维修",
}


def spaced_digits(text: str) -> str:
    """Digits set apart so they are read one by one: "13800138000" -> "138 0013 8000"."""
    if len(text) == 11 and text.isdigit():
        return f"{text[:3]} {text[3:7]} {text[7:]}"
    return " ".join(text)
