"""The floor: a bare Flask page of 20 table rows, served by waitress with run.py's settings.

    .venv/bin/python bench/floor.py --port 8001

bench/crowd.py starts it beside run.py and measures both in the same run: what a list page costs beyond
this page is the platform's own work (login session, queries, the layout). No database, no login.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>试点企业库</title></head>
<body><main><h1>试点企业库</h1>
<table class="list"><thead><tr><th>企业名称</th><th>统一社会信用代码</th><th>区域</th><th>状态</th>
<th>更新时间</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td><a href="/lib/pilots/{{ row.id }}">{{ row.name }}</a></td><td>{{ row.code }}</td>
<td>{{ row.region }}</td><td><span class="badge">{{ row.status }}</span></td><td>{{ row.updated }}</td></tr>
{% endfor %}</tbody></table><p>共 {{ total }} 条</p></main></body></html>"""


def make_app():
    from flask import Flask

    app = Flask("floor")
    template = app.jinja_env.from_string(PAGE)  # compiled once, as Flask's loader keeps a template
    rows = [{"id": i, "name": f"长垣市瑞丰起重机械有限公司{i}", "code": f"91410783100000{i:04d}", "region": "长垣市",
             "status": "待审核", "updated": "2026-03-01 10:00"} for i in range(20)]

    @app.get("/")
    def page():
        return template.render(rows=rows, total=7512)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)

    from waitress import serve

    from app.config import instance_path, load_settings
    from app.site.serving import raise_open_files_limit, waitress_options

    options = waitress_options(load_settings(instance_path()), threads=args.threads)  # run.py's settings
    raise_open_files_limit(int(options["connection_limit"]) + 256)
    print(f"floor on http://127.0.0.1:{args.port}/", flush=True)
    serve(make_app(), host="127.0.0.1", port=args.port, **options)


if __name__ == "__main__":
    main()
