"""Start the platform: apply migrations, load the reference data, serve with waitress.

    python run.py [--host 127.0.0.1] [--port 8000] [--threads 8] [--demo]

SMEDT_HOST / SMEDT_PORT / SMEDT_THREADS (or instance/config.toml) set the same things as the options.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="中小企业数字化转型公共服务平台")
    parser.add_argument("--host", help="监听地址（默认 127.0.0.1）")
    parser.add_argument("--port", type=int, help="监听端口（默认 8000）")
    parser.add_argument("--threads", type=int, help="工作线程数（默认 8）")
    parser.add_argument("--demo", action="store_true", help="载入演示区县数据和各角色演示账号")
    args = parser.parse_args(argv)

    from app import create_app
    from app.accounts import setup
    from app.db import get_session
    from app.dicts.loader import load_reference_data, summary
    from app.migrate import upgrade

    app = create_app()
    host = args.host or app.config["HOST"]
    port = args.port or int(app.config["PORT"])
    threads = args.threads or int(app.config["THREADS"])

    upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        print(summary(load_reference_data(get_session())), flush=True)
        if args.demo:
            from app.demo import load_demo

            load_demo(get_session(), echo=print)
        if setup.needs_setup(get_session()):
            code = setup.issue_code(Path(app.instance_path))
            print("\n尚未创建系统管理员。请在浏览器打开 "
                  f"http://{host}:{port}/setup ，使用初始化口令：{code}\n", flush=True)

    from app.site.serving import make_server, raise_open_files_limit, waitress_options

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = waitress_options(app.config, threads=threads)
    raise_open_files_limit(int(options["connection_limit"]) + 256)  # sockets, plus the database and files
    server = make_server(app, host=host, port=port, **options)
    print(f"平台已启动：http://{host}:{port}/  （Ctrl+C 停止）", flush=True)
    server.run()


if __name__ == "__main__":
    main()
