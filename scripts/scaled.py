"""The scaled profile (`make run-scaled`): the whole assistant on real servers, started by the
project itself, under supervisord, which restarts a part that dies.

    PostgreSQL   the backend's database and Rasa's tracker store
    Redis        Rasa's lock store (bot/lock_store.py), shared by the replicas
    HAProxy      :5005 in front of N Rasa servers, :5055 in front of M action servers
    backend      uvicorn with several workers on PostgreSQL, :8000
    voice, telegram   the fronts, talking to the load balancer as they talk to Rasa alone
    wechat            two replicas of the WeChat front (LINLI_SCALED_WECHAT=1), state in Redis

Every address, port and count is a setting in the env file (`LINLI_SCALED_*`, defaults below;
`make run` writes the secrets). Files live in `--dir` (var/scaled): the generated configuration,
logs, the outboxes, and PostgreSQL's data (as root, PostgreSQL runs as the `postgres` user and
keeps its data under that user's home, since var/ is the owner's alone).

    python scripts/scaled.py run [--dir var/scaled] [--env-file var/linli.env]
    python scripts/scaled.py ctl status|stop rasa-1|start redis …   (supervisorctl)

Runs in the app virtualenv (supervisor). The tests start it the same way
(testsupport/scaled.py) on free ports in a temporary folder.
"""

import argparse
import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
APP_BIN = PROJECT / ".venvs" / "app" / "bin"
RASA_BIN = PROJECT / ".venvs" / "rasa" / "bin"
DEFAULTS = {
    "LINLI_SCALED_RASA_REPLICAS": "2",
    "LINLI_SCALED_ACTION_REPLICAS": "2",
    "LINLI_SCALED_BACKEND_WORKERS": "2",
    "LINLI_SCALED_HOST": "127.0.0.1",
    "LINLI_SCALED_RASA_PORT": "5005",
    "LINLI_SCALED_ACTIONS_PORT": "5055",
    "LINLI_SCALED_BACKEND_PORT": "8000",
    "LINLI_SCALED_RASA_REPLICA_PORTS_FROM": "5105",
    "LINLI_SCALED_ACTION_REPLICA_PORTS_FROM": "5155",
    "LINLI_SCALED_POSTGRES_PORT": "55432",
    "LINLI_SCALED_REDIS_PORT": "56379",
    # The fronts: off in the tests, which drive the stack themselves.
    "LINLI_SCALED_VOICE": "1",
    "LINLI_SCALED_TELEGRAM": "1",
}
# Generated on first use and added to the env file.
SECRETS = ("LINLI_SCALED_POSTGRES_PASSWORD", "LINLI_SCALED_REDIS_PASSWORD")


@dataclass(frozen=True)
class Profile:
    run_dir: Path
    env_file: Path
    settings: dict[str, str]

    def get(self, name: str) -> str:
        return self.settings.get(name) or DEFAULTS.get(name, "")

    def port(self, name: str) -> int:
        return int(self.get(f"LINLI_SCALED_{name}_PORT"))

    def count(self, name: str) -> int:
        return max(1, int(self.get(f"LINLI_SCALED_{name}")))

    @property
    def host(self) -> str:
        return self.get("LINLI_SCALED_HOST")

    def replica_ports(self, kind: str) -> list[int]:
        first = int(self.get(f"LINLI_SCALED_{kind}_REPLICA_PORTS_FROM"))
        count = self.count("RASA_REPLICAS" if kind == "RASA" else "ACTION_REPLICAS")
        return [first + index for index in range(count)]

    @property
    def postgres_dir(self) -> Path:
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root; the postgres user cannot enter var/ (0700).
            home = Path(pwd.getpwnam("postgres").pw_dir)
            tag = hashlib.sha256(str(self.run_dir.resolve()).encode()).hexdigest()[:12]
            return home / f"linli-{tag}"
        return self.run_dir / "postgres"

    def database_url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        password = self.get("LINLI_SCALED_POSTGRES_PASSWORD")
        return f"{driver}://linli:{password}@127.0.0.1:{self.port('POSTGRES')}/{database}"


def read_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(
        line.split("=", 1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )


def load_profile(run_dir: Path, env_file: Path) -> Profile:
    settings = read_env(env_file)
    missing = [name for name in SECRETS if not settings.get(name)]
    if missing:
        with env_file.open("a", encoding="utf-8") as env:
            for name in missing:
                settings[name] = secrets.token_urlsafe(24)
                env.write(f"{name}={settings[name]}\n")
    return Profile(run_dir.resolve(), env_file.resolve(), settings)


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL is not installed (scripts/setup-system.sh installs it)")
    return found[-1].parent


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def initdb(bin_dir: Path, data: Path) -> None:
    if data.exists():
        shutil.rmtree(data)  # initdb stopped half-way: nothing was ever stored there
    data.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(data.parent, "postgres", "postgres")
    password_file = data.parent / "initial-password"
    password_file.write_text("unused-superuser-password\n")
    if os.geteuid() == 0:
        shutil.chown(password_file, "postgres", "postgres")
    subprocess.run(
        as_postgres([
            str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=peer",
            "--auth-host=scram-sha-256", f"--pwfile={password_file}", "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]),
        check=True, stdout=subprocess.DEVNULL, cwd=data.parent,
    )  # fmt: skip
    password_file.unlink()


def init_postgres(profile: Profile) -> None:
    """A cluster with the `linli` role (password), the backend's and Rasa's databases; once."""
    data = profile.postgres_dir / "data"
    done = profile.postgres_dir / "initialised"
    if done.exists():
        return
    bin_dir = postgres_bin()
    if not (data / "PG_VERSION").exists():
        initdb(bin_dir, data)
    # Every step below may be repeated: an init that stopped half-way is finished next time.
    port = str(profile.port("POSTGRES"))
    options = f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-o", options]
    subprocess.run(
        as_postgres([*pg_ctl, "start", "-l", str(data.parent / "init.log")]),
        check=True, cwd=data.parent,
    )  # fmt: skip
    try:
        password = profile.get("LINLI_SCALED_POSTGRES_PASSWORD").replace("'", "''")
        psql = [str(bin_dir / "psql"), "-h", str(data.parent), "-p", port, "-U", "postgres", "-q"]
        psql += ["-v", "ON_ERROR_STOP=1"]
        role = (
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'linli') THEN "
            f"CREATE ROLE linli LOGIN PASSWORD '{password}'; END IF; END $$;"
        )
        subprocess.run(as_postgres([*psql, "-c", role]), check=True, cwd=data.parent)
        for database in ("linli", "rasa"):
            # CREATE DATABASE cannot run in a DO block; \gexec runs it only when missing.
            create = (
                f"SELECT 'CREATE DATABASE {database} OWNER linli' WHERE NOT EXISTS "
                f"(SELECT FROM pg_database WHERE datname = '{database}')\\gexec"
            )
            subprocess.run(
                as_postgres(psql), input=create.encode(), check=True, cwd=data.parent,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
        done.write_text("the linli role and databases exist\n")
    finally:
        subprocess.run(
            as_postgres([*pg_ctl, "stop"]), check=True, stdout=subprocess.DEVNULL, cwd=data.parent
        )


def haproxy_config(profile: Profile) -> str:
    host = profile.host

    def servers(kind: str, check: str) -> str:
        return (
            "\n".join(
                f"  server {kind}-{index + 1} 127.0.0.1:{port} check inter 1s fall 2 rise 1"
                for index, port in enumerate(profile.replica_ports(kind.upper()))
            )
            + f"\n  option httpchk GET {check}\n"
        )

    # A request that cannot connect to a replica (dead or restarting) goes to another one at
    # once (redispatch on every retry);
    # one that reached a replica is never sent twice (retry-on stays conn-failure).
    # A reply may take the lock wait (bot/lock_store.py: DEFAULT_MAX_WAIT, 120 s) plus a turn
    # whose actions each answer within 30 s (actions/server.py): 330 s lets Rasa answer every
    # such turn itself (with an apology at worst) instead of the proxy cutting it off.
    return f"""global
  maxconn 4096

defaults
  mode http
  option redispatch 1
  retries 3
  timeout connect 2s
  timeout client 330s
  timeout server 330s

frontend rasa
  bind {host}:{profile.port("RASA")}
  default_backend rasa_replicas

backend rasa_replicas
  balance leastconn
{servers("rasa", "/")}
frontend actions
  bind 127.0.0.1:{profile.port("ACTIONS")}
  default_backend action_replicas

backend action_replicas
  balance leastconn
{servers("action", "/health")}"""


def rasa_endpoints(profile: Profile) -> str:
    password = profile.get("LINLI_SCALED_POSTGRES_PASSWORD")
    return f"""# Generated by scripts/scaled.py: Rasa replicas of the scaled profile.
action_endpoint:
  url: "http://127.0.0.1:{profile.port("ACTIONS")}/webhook"
  token: ${{LINLI_ACTIONS_SERVER_TOKEN}}

tracker_store:
  type: bot.tracker_store.RedactingTrackerStore
  inner:
    type: bot.tracker_store.AppendingSQLTrackerStore
    dialect: postgresql
    url: 127.0.0.1
    port: {profile.port("POSTGRES")}
    db: rasa
    username: linli
    password: "{password}"

lock_store:
  type: bot.lock_store.AtomicRedisLockStore
  url: 127.0.0.1
  port: {profile.port("REDIS")}
  password: "{profile.get("LINLI_SCALED_REDIS_PASSWORD")}"
"""


def program(name: str, command: str, directory: Path, log_dir: Path, **extra: str) -> str:
    lines = [
        f"[program:{name}]",
        f"command={command}",
        f"directory={directory}",
        "autorestart=true",
        "startsecs=2",
        "startretries=30",
        "stopasgroup=true",
        "killasgroup=true",
        "stopwaitsecs=15",
        f"stdout_logfile={log_dir / (name + '.log')}",
        "redirect_stderr=true",
        "stdout_logfile_maxbytes=20MB",
    ]
    lines += [f"{key}={value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def supervisor_config(profile: Profile) -> str:
    run, log_dir = profile.run_dir, profile.run_dir / "logs"
    env = ",".join(
        f'{name}="{value}"'
        for name, value in {
            "LINLI_API_DATABASE_URL": profile.database_url("linli"),
            "LINLI_VOICE_RASA_URL": f"http://127.0.0.1:{profile.port('RASA')}",
            "LINLI_TELEGRAM_RASA_URL": f"http://127.0.0.1:{profile.port('RASA')}",
            "LINLI_ACTIONS_BACKEND_URL": f"http://127.0.0.1:{profile.port('BACKEND')}",
            "LINLI_VOICE_BACKEND_URL": f"http://127.0.0.1:{profile.port('BACKEND')}",
            "LINLI_TELEGRAM_BACKEND_URL": f"http://127.0.0.1:{profile.port('BACKEND')}",
            "LINLI_API_RASA_URL": f"http://127.0.0.1:{profile.port('RASA')}",
            "RASA_TELEMETRY_ENABLED": "false",
        }.items()
    )
    pg = postgres_bin()
    sections = [
        f"""[unix_http_server]
file={run / "supervisor.sock"}
chmod=0700

[supervisord]
logfile={log_dir / "supervisord.log"}
pidfile={run / "supervisord.pid"}
nodaemon=true
environment={env}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{run / "supervisor.sock"}
""",
        program(
            "postgres",
            f"{pg / 'postgres'} -D {profile.postgres_dir / 'data'} -p {profile.port('POSTGRES')} "
            f"-k {profile.postgres_dir} -c listen_addresses=127.0.0.1",
            profile.postgres_dir,
            log_dir,
            priority="10",
            stopsignal="INT",
            **({"user": "postgres"} if os.geteuid() == 0 else {}),
        ),  # fmt: skip
        program(
            "redis",
            f"redis-server {run / 'redis.conf'}",
            PROJECT,
            log_dir,
            priority="10",
        ),  # fmt: skip
        program(
            "backend",
            # The workers write their metrics to files that a scrape adds up (common/metrics.py).
            f"/bin/sh -c 'rm -rf {run / 'metrics-backend'} && mkdir {run / 'metrics-backend'} && "
            f"{APP_BIN / 'python'} -m api.prestart && exec {APP_BIN / 'uvicorn'} "
            f"api.main:create_app --factory --host {profile.host} "
            f"--port {profile.port('BACKEND')} --workers {profile.count('BACKEND_WORKERS')}'",
            PROJECT,
            log_dir,
            priority="20",
            environment=f'PROMETHEUS_MULTIPROC_DIR="{run / "metrics-backend"}"',
        ),  # fmt: skip
        program(
            "haproxy", f"haproxy -db -f {run / 'haproxy.cfg'}", PROJECT, log_dir, priority="20"
        ),
    ]
    for index, port in enumerate(profile.replica_ports("ACTION")):
        sections.append(
            program(
                f"actions-{index + 1}",
                f"{RASA_BIN / 'python'} -m actions.server",
                PROJECT,
                log_dir,
                priority="30",
                environment=f'LINLI_ACTIONS_PORT="{port}",'
                f'LINLI_ACTIONS_OUTBOX_PATH="{run / f"outbox-{index + 1}.db"}"',
            )  # fmt: skip
        )
    for index, port in enumerate(profile.replica_ports("RASA")):
        sections.append(
            program(
                f"rasa-{index + 1}",
                f"{RASA_BIN / 'python'} -m bot.serve run --enable-api "
                "--auth-token=%(ENV_LINLI_RASA_AUTH_TOKEN)s "
                f"--model models/linli.tar.gz --endpoints {run / 'endpoints.yml'} "
                f"--credentials bot/credentials.yml --port {port} --interface 127.0.0.1",
                PROJECT,
                log_dir,
                priority="40",
                stopsignal="INT",
            )  # fmt: skip
        )
    if profile.get("LINLI_SCALED_VOICE") == "1":
        sections.append(
            program(
                "voice", f"{APP_BIN / 'python'} -m voice.serve", PROJECT, log_dir, priority="50"
            )
        )
    if profile.get("LINLI_SCALED_TELEGRAM") == "1" and profile.get("LINLI_TELEGRAM_TOKEN"):
        sections.append(
            program(
                "telegram",
                f"{APP_BIN / 'python'} -m channels.telegram",
                PROJECT,
                log_dir,
                priority="50",
            )
        )
    if profile.get("LINLI_SCALED_WECHAT") == "1":
        # Two replicas on one callback address behind a proxy (HAProxy's `balance url_param
        # openid` keeps a resident on one); the access token and the callbacks already answered
        # are shared in Redis.
        redis_url = (
            f"redis://:{profile.get('LINLI_SCALED_REDIS_PASSWORD')}@127.0.0.1:"
            f"{profile.port('REDIS')}/2"
        )
        for index in range(2):
            sections.append(
                program(
                    f"wechat-{index + 1}",
                    f"{APP_BIN / 'python'} -m channels.wechat",
                    PROJECT,
                    log_dir,
                    priority="50",
                    environment=(
                        f'LINLI_WECHAT_STATE_URL="{redis_url}",'
                        f'LINLI_WECHAT_LISTEN_PORT="{8088 + index}"'
                    ),
                )
            )
    return "\n".join(sections)


def render(profile: Profile) -> None:
    (profile.run_dir / "logs").mkdir(parents=True, exist_ok=True)
    files = {
        "haproxy.cfg": haproxy_config(profile),
        "endpoints.yml": rasa_endpoints(profile),
        "supervisord.conf": supervisor_config(profile),
        # The password stays out of the process list. Locks only: nothing to keep on disk.
        "redis.conf": (
            f"bind 127.0.0.1\nport {profile.port('REDIS')}\n"
            f"requirepass {profile.get('LINLI_SCALED_REDIS_PASSWORD')}\n"
            f'save ""\nappendonly no\ndir {profile.run_dir}\n'
        ),
    }
    for name, text in files.items():
        path = profile.run_dir / name
        path.touch(mode=0o600)
        path.write_text(text, encoding="utf-8")


def run(profile: Profile) -> None:
    os.umask(0o077)
    render(profile)
    init_postgres(profile)
    env = {**os.environ, **profile.settings}
    print(
        f"==> scaled profile: HAProxy :{profile.port('RASA')} -> "
        f"{profile.count('RASA_REPLICAS')} Rasa, :{profile.port('ACTIONS')} -> "
        f"{profile.count('ACTION_REPLICAS')} action servers; backend :{profile.port('BACKEND')} "
        f"({profile.count('BACKEND_WORKERS')} workers) on PostgreSQL :{profile.port('POSTGRES')}; "
        f"Redis :{profile.port('REDIS')}; logs in {profile.run_dir / 'logs'}",
        flush=True,
    )
    os.execve(
        str(APP_BIN / "supervisord"),
        [str(APP_BIN / "supervisord"), "-c", str(profile.run_dir / "supervisord.conf")],
        env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("run", "render", "ctl"))
    parser.add_argument("args", nargs="*")
    parser.add_argument("--dir", type=Path, default=PROJECT / "var" / "scaled")
    parser.add_argument("--env-file", type=Path, default=PROJECT / "var" / "linli.env")
    # `ctl` passes what follows to supervisorctl (`ctl status`, `ctl signal KILL rasa-1`).
    options, rest = parser.parse_known_args()
    options.args += rest
    profile = load_profile(options.dir, options.env_file)
    if options.command == "run":
        run(profile)
    elif options.command == "render":
        render(profile)
    else:
        sys.exit(
            subprocess.call(
                [
                    str(APP_BIN / "supervisorctl"),
                    "-c",
                    str(profile.run_dir / "supervisord.conf"),
                    *options.args,
                ]
            )  # fmt: skip
        )


if __name__ == "__main__":
    main()
