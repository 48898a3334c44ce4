"""A playbook's workload on any service: targets, declared operations, classes; each checked where written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from .playbooks import Check, places

TOPOLOGY = """\
name: shop
services:
  orders: {port: 8080, uses: [kv]}
  cart: {image: team/cart:1, port: 9000, uses: [kv]}
"""
METHOD = "method:\n  - wait: 1s\n"


def playbook(tmp_path: Path, workload: str) -> str:
    (tmp_path / "topology.yaml").write_text(TOPOLOGY)
    return "version: 1\nname: t\ntopology: topology.yaml\nworkload:\n" + textwrap.indent(
        textwrap.dedent(workload), "  "
    ) + METHOD


def test_any_service_with_declared_operations_validates(check: Check, tmp_path: Path) -> None:
    text = playbook(tmp_path, """\
        target: cart
        rate: 20
        failover: true
        operations:
          write: {method: PUT, path: "/carts/{id}", body: '{"item": "{id}", "n": {seq}}',
                  headers: {X-Client-Region: "{region}"}, ok: [201], unknown: [504, 408]}
          read: {path: "/carts/{id}", ok: [200], not_found: [404, 410]}
          list: {path: /carts, ids: data.ids, pending: data.queued}
          served_by: X-Served-From
    """)
    assert check(text) == []


def test_orders_keeps_its_shorthand_and_other_services_must_declare(check: Check, tmp_path: Path) -> None:
    assert check(playbook(tmp_path, "target: orders\nrate: 20\n")) == []
    problems = check(playbook(tmp_path, "target: cart\nrate: 20\n"))
    assert places(problems) == ["5:11"]
    assert problems[0].message == "workload target 'cart': declare its `operations` (write and read)"


def test_bad_templates_and_statuses_point_at_the_value(check: Check, tmp_path: Path) -> None:
    problems = check(playbook(tmp_path, """\
        target: cart
        rate: 20
        operations:
          write: {method: PUT, path: "/carts/{cart_id}"}
          read: {path: "/carts/{id}", ok: [299, 6xx], headers: {X-R: "{regoin}"}}
    """))
    assert places(problems) == ["8:32", "9:43", "9:64"]
    assert problems[0].message.startswith("workload.operations.write.path: unknown placeholder '{cart_id}'")
    assert "known: {id}, {region}, {seq}" in problems[0].message
    assert problems[1].message.startswith("workload.operations.read.ok[1]: '6xx' is not an HTTP status")
    assert "unknown placeholder '{regoin}'" in problems[2].message


def test_a_target_that_is_no_service(check: Check, tmp_path: Path) -> None:
    ops = "operations: {write: {path: /c}, read: {path: /c}}\n"
    problems = check(playbook(tmp_path, "target: carts\nrate: 20\n" + ops))
    assert places(problems) == ["5:11"]
    assert problems[0].message == "unknown endpoint 'carts'" and "cart" in problems[0].hint


def test_class_targets_are_imported_from_the_playbooks_folder(check: Check, tmp_path: Path) -> None:
    (tmp_path / "team_client.py").write_text(
        "class Client:\n"
        "    def __init__(self, addresses, timeout): pass\n"
        "    def write(self, region, key): return 'ok'\n"
        "    def read(self, region, key): return 'ok'\n"
        "class Half:\n"
        "    def write(self, region, key): return 'ok'\n"
    )
    assert check(playbook(tmp_path, "target: team_client:Client\nservice: cart\nrate: 5\n")) == []
    half = check(playbook(tmp_path, "target: team_client:Half\nservice: cart\nrate: 5\n"))
    assert places(half) == ["5:11"] and "has no read method" in half[0].message
    missing = check(playbook(tmp_path, "target: team_clinet:Client\nservice: cart\nrate: 5\n"))
    assert places(missing) == ["5:11"]
    assert "cannot import 'team_clinet'" in missing[0].message
    no_service = check(playbook(tmp_path, "target: team_client:Client\nrate: 5\n"))
    assert "is a class: give `service`" in no_service[0].message


def test_options_that_do_not_go_together(check: Check, tmp_path: Path) -> None:
    ops = "operations: {write: {path: /c}, read: {path: /c}}\n"
    cases = {
        "target: kv\nrate: 5\n" + ops: "`operations` are for HTTP services",
        "target: cart\nservice: kv\nrate: 5\n" + ops: "`service` goes with a class target",
        "target: kv\nrate: 5\nfailover: true\n": "`failover` is for HTTP services",
        "target: Cart Service\nrate: 5\n": "neither a service name",
    }
    for workload, message in cases.items():
        problems = check(playbook(tmp_path, workload))
        assert any(message in p.message for p in problems), (workload, problems)


def test_the_cli_says_where_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "pb.yaml"
    path.write_text(playbook(tmp_path, """\
        target: cart
        rate: 20
        operations:
          write: {method: PUT, path: "/carts/{user}"}
          read: {path: "/carts/{id}"}
    """))
    proc = subprocess.run([sys.executable, "-m", "chaoskit", "validate", str(path)],
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}:8:32" in proc.stderr.replace("\n", "") and "'{user}'" in proc.stderr
