#!/usr/bin/env python3
"""The benchmark's workload: N public-service records served by nginx on
loopback, and the same N cases written as a conform project and as Hurl files.

    workload.py N ROOT PORT

writes under ROOT:

    www/services/<i>.json         the records (multilingual public services)
    nginx.conf                    nginx serving www/ on 127.0.0.1:PORT, keep-alive
    project/                      a conform project (--root project):
      schemas/bench/service.schema.json     the record's JSON Schema (draft 2020-12)
      suites/service-catalogue/requirements.yaml
      suites/service-catalogue/bench-<k>.yaml   up to 1000 cases per suite file
      countries/xx.yaml             a profile pointing at the nginx, no rate limit
    peer.hurl                     the same cases for Hurl, one file
    hurlsplit/p0.hurl … p9.hurl   the same cases in ten files (for hurl --jobs)

Each case: GET /services/<i>.json; status 200; content type JSON; `$.id` is
`svc-<i>`; and (conform only: Hurl has no JSON Schema assertion) the body
validates against the schema. Output is deterministic for a given N and PORT.
"""

import json
import os
import sys

CASES_PER_SUITE = 1000
REQUIREMENT = "BENCH-SVC-01"

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://conform.example/schemas/bench/service.schema.json",
    "title": "A public service record of the benchmark",
    "type": "object",
    "required": ["id", "name", "description", "competentAuthority", "channels"],
    "properties": {
        "id": {"type": "string", "pattern": "^svc-[0-9]+$"},
        "name": {"$ref": "#/$defs/langString"},
        "description": {"$ref": "#/$defs/langString"},
        "competentAuthority": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "format": "uri"},
                "name": {"$ref": "#/$defs/langString"},
            },
        },
        "channels": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["type", "url"],
                "properties": {
                    "type": {"enum": ["web", "phone", "office"]},
                    "url": {"type": "string"},
                },
            },
        },
        "keywords": {"type": "array", "items": {"type": "string"}},
    },
    "$defs": {
        "langString": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[a-z]{2}$"},
            "additionalProperties": {"type": "string", "minLength": 1},
        }
    },
}


def record(i):
    """The i-th service: about 1 KB of JSON in three languages."""
    return {
        "id": f"svc-{i}",
        "name": {"fi": f"Palvelu {i}", "sv": f"Tjänst {i}", "en": f"Service {i}"},
        "description": {
            "fi": "Kuvaus " * 20,
            "sv": "Beskrivning " * 20,
            "en": "Description " * 20,
        },
        "competentAuthority": {
            "id": f"http://example.org/org/{i % 50}",
            "name": {"fi": "Virasto", "en": "Agency"},
        },
        "channels": [
            {"type": "web", "url": f"https://example.org/s/{i}"},
            {"type": "phone", "url": "tel:+358000000"},
        ],
        "keywords": ["permit", "residence", "tax"],
    }


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def nginx_conf(root, port):
    return f"""# The benchmark's server: static records, one worker, long keep-alive.
worker_processes 1;
daemon on;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {root}/tmp;
  proxy_temp_path {root}/tmp;
  fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp;
  scgi_temp_path {root}/tmp;
  types {{ }}
  default_type application/json;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {{
    listen 127.0.0.1:{port};
    root {root}/www;
  }}
}}
"""


CATALOGUE = f"""domain: service-catalogue
title: Benchmark service records
requirements:
  {REQUIREMENT}:
    level: MUST
    statement: A service record is served as JSON under its identifier and validates against the record schema.
    source:
      spec: conform benchmark workload
      version: "1"
      section: "1"
      url: https://conform.example/bench
"""

PROFILE = """# The benchmark's country: one nginx on loopback, no politeness limits.
country: XX
name: Benchland
languages: [fi, sv, en]
capabilities: [bench-records]
endpoints:
  service_catalogue: {base}
limits: {{ concurrency: 64, rate: 0 }}
"""


def suite(k, first, last):
    lines = [
        f"suite: bench-{k:03d}",
        "domain: service-catalogue",
        f"title: Benchmark service records {first} to {last - 1}",
        "spec: { name: conform benchmark workload, version: \"1\", url: https://conform.example/bench }",
        "applies_to: [bench-records]",
        f"requirements: [{REQUIREMENT}]",
        "cases:",
    ]
    for i in range(first, last):
        lines += [
            f"  - id: svc-{i}",
            f"    title: Service record {i}",
            f"    requirements: [{REQUIREMENT}]",
            "    steps:",
            f"      - request: {{ url: \"{{{{ profile.endpoints.service_catalogue }}}}/services/{i}.json\" }}",
            "        checks:",
            "          - status: 200",
            "          - header: { name: content-type, contains: json }",
            f"          - json: {{ path: $.id, equals: svc-{i} }}",
            "          - schema: { file: bench/service.schema.json }",
        ]
    return "\n".join(lines) + "\n"


def hurl_entry(base, i):
    return (
        f"GET {base}/services/{i}.json\n"
        "HTTP 200\n"
        "[Asserts]\n"
        'header "Content-Type" contains "json"\n'
        f'jsonpath "$.id" == "svc-{i}"\n'
        "\n"
    )


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: workload.py N ROOT PORT")
    n, root, port = int(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3])
    if n < 1:
        sys.exit("N is at least 1")
    base = f"http://127.0.0.1:{port}"
    os.makedirs(f"{root}/tmp", exist_ok=True)
    for i in range(n):
        write(f"{root}/www/services/{i}.json", json.dumps(record(i), ensure_ascii=False))
    write(f"{root}/nginx.conf", nginx_conf(root, port))

    project = f"{root}/project"
    suites = f"{project}/suites/service-catalogue"
    if os.path.isdir(suites):  # a smaller N must not keep a larger run's suites
        for name in os.listdir(suites):
            if name.startswith("bench-"):
                os.remove(f"{suites}/{name}")
    write(f"{project}/schemas/bench/service.schema.json", json.dumps(SCHEMA, indent=1) + "\n")
    write(f"{suites}/requirements.yaml", CATALOGUE)
    for k, first in enumerate(range(0, n, CASES_PER_SUITE)):
        last = min(first + CASES_PER_SUITE, n)
        write(f"{suites}/bench-{k:03d}.yaml", suite(k, first, last))
    write(f"{project}/countries/xx.yaml", PROFILE.format(base=base))
    # `conform check --root` reads the sandbox data too; this project has none.
    os.makedirs(f"{project}/fixtures/sandbox", exist_ok=True)

    write(f"{root}/peer.hurl", "".join(hurl_entry(base, i) for i in range(n)))
    for j in range(10):
        part = range(j * n // 10, (j + 1) * n // 10)
        write(f"{root}/hurlsplit/p{j}.hurl", "".join(hurl_entry(base, i) for i in part))
    print(f"wrote {n} cases under {root}")


if __name__ == "__main__":
    main()
