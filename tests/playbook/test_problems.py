"""Each class of problem, reported at the right line:column, all at once, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.errors import PlaybookError
from chaoskit.playbook import load_playbook, validate_playbook

from .playbooks import BASE, Check, places


def test_base_playbook_is_valid(check: Check) -> None:
    assert check(BASE) == []


def test_yaml_syntax_error(check: Check) -> None:
    problems = check("version: 1\nname: t\nmethod:\n  - wait: [1s\n")
    assert len(problems) == 1
    assert problems[0].message.startswith("invalid YAML")
    assert places(problems) == ["5:1"]


def test_tab_indentation_is_a_yaml_error(check: Check) -> None:
    problems = check("version: 1\nmethod:\n\t- wait: 1s\n")
    assert places(problems) == ["3:1"]
    assert "invalid YAML" in problems[0].message


def test_duplicate_key(check: Check) -> None:
    problems = check(BASE + "name: again\n")
    assert [str(p).split(": ", 1)[1] for p in problems] == ["duplicate key 'name'"]
    assert places(problems) == ["7:1"]


def test_unknown_key_points_at_the_key_and_suggests(check: Check) -> None:
    text = BASE.replace("workload: {", "workload: {rat: 3, ") + "titel: T\n"
    problems = check(text)
    assert places(problems) == ["3:12", "7:1"]
    assert problems[0].message == "workload: unknown key 'rat'"
    assert problems[0].hint == "did you mean 'rate'?"
    assert problems[1].message == "unknown key 'titel'"
    assert problems[1].hint == "did you mean 'title'?"


def test_unknown_key_in_a_probe_and_in_a_fault(check: Check) -> None:
    problems = check(
        BASE
        + """\
          - probe:
              type: http
              url: http://127.0.0.1:8080/health
              expect_stauts: 204
          - inject: {fault: dns.nodata, target: kv.us-west-2.chaoskit.internal, duration: 2}
        """.replace("          ", "  ")
    )
    assert places(problems) == ["10:7", "11:73"]
    assert problems[0].message == "method[1].probe: unknown key 'expect_stauts'"
    assert problems[0].hint == "did you mean 'expect_status'?"
    assert problems[1].message == "method[2].inject: unknown key 'duration'"
    assert problems[1].hint == "write 'for' here"


def test_wrong_types(check: Check) -> None:
    problems = check(
        """\
        version: 1
        name: t
        tags: tagged
        workload: {target: orders, rate: fast, concurrency: 2.5}
        method: {wait: 1s}
        """
    )
    assert places(problems) == ["3:7", "4:34", "4:53", "5:1"]
    assert problems[0].message == "tags: expected a list, got str 'tagged'"
    assert "workload.rate: Input should be a valid number" in problems[1].message
    assert problems[1].message.endswith("got 'fast'")
    assert problems[2].message.startswith("workload.concurrency:")
    assert problems[3].message == "method: expected a list, got a mapping"


def test_missing_keys_point_at_the_mapping(check: Check) -> None:
    problems = check("version: 1\nmethod:\n  - inject: {fault: dns.nodata}\n")
    assert [(p.where.split(":", 1)[1], p.message) for p in problems] == [
        ("1:1", "missing key 'name'"),
        ("3:5", "method[0].inject: missing key 'target'"),
    ]


def test_bad_durations(check: Check) -> None:
    problems = check(
        BASE
        + "  - wait: 5 seconds\n"
        + "  - wait: -1s\n"
        + "  - wait: 0\n"
        + "  - wait: 25h\n"
        + "  - at: soon\n    note: x\n"
        + "  - wait: 1"
        + "0" * 400
        + "\n"
    )
    assert places(problems) == ["7:11", "8:11", "9:11", "10:11", "11:9", "13:11"]
    assert problems[0].message == ("method[1].wait: not a duration: '5 seconds' (use e.g. 500ms, 30s, 2m)")
    assert "24 h" in problems[3].message
    assert "24 h" in problems[5].message  # too big for a float: still a problem, not a crash


def test_at_zero_is_allowed(check: Check) -> None:
    assert check(BASE.replace("at: 1s", "at: 0s")) == []


def test_step_kinds(check: Check) -> None:
    problems = check(BASE + "  - {wait: 1s, note: both}\n  - at: 2s\n  - 42\n")
    assert places(problems) == ["7:5", "8:5", "9:5"]
    for p in problems:
        assert "a step needs exactly one of: inject, revert, wait, probe, note, manual" in p.message


def test_probe_types(check: Check) -> None:
    problems = check(
        """\
        version: 1
        name: t
        steady_state:
          - {type: htpp, url: "http://x"}
          - {url: "http://x"}
          - {type: python, function: "os.system('rm')"}
        method: [{wait: 1s}]
        """
    )
    assert places(problems) == ["4:12", "5:5", "6:30"]
    assert problems[0].message == "steady_state[0]: unknown probe type 'htpp'"
    assert problems[0].hint == "did you mean 'http'?"
    assert problems[1].message == "steady_state[1]: a probe needs a 'type'"
    assert "is not package.module:function" in problems[2].message


def test_probe_targets(check: Check) -> None:
    problems = check(
        """\
        version: 1
        name: t
        steady_state:
          - {type: http, service: orders}
          - {type: http, url: "ftp://x/y", service: orders, region: us-east-1}
          - {type: http, url: "ftp://x/y"}
          - {type: tcp, address: "kv:99999"}
          - {type: kv, region: us-east-1, op: get}
          - {type: dns, name: kv.us-east-1.chaoskit.internal, region: us-east-1, expect_address: x}
        method: [{wait: 1s}]
        """
    )
    assert places(problems) == ["4:5", "5:5", "6:5", "7:5", "8:5", "9:5"]
    assert "needs the `region`" in problems[0].message
    assert "not both" in problems[1].message
    assert "must be http://" in problems[2].message
    assert "is not host:port" in problems[3].message
    assert "needs a `key`" in problems[4].message
    assert "not an IP address" in problems[5].message


def test_unknown_fault_kind_with_suggestion(check: Check) -> None:
    problems = check(BASE.replace("fault: dns.nodata", "fault: dns.nodatta"))
    assert places(problems) == ["6:28"]
    assert problems[0].message == "unknown fault 'dns.nodatta'"
    assert problems[0].hint == "did you mean 'dns.nodata'?"


def test_unknown_fault_family_lists_the_family(check: Check) -> None:
    problems = check(BASE.replace("fault: dns.nodata", "fault: dns.blackhole"))
    assert problems[0].message == "unknown fault 'dns.blackhole'"
    assert problems[0].hint.startswith("known: dns.")


def test_unknown_regions_services_and_endpoints(check: Check) -> None:
    problems = check(
        """\
        version: 1
        name: t
        services:
          ordrs: {exits: none}
        steady_state:
          - {type: http, service: orders, region: us-east-2, path: /health}
          - {type: tcp, endpoint: redis, region: us-west-2}
        workload: {target: orders, rate: 5, regions: [us-west-1]}
        method:
          - inject: {fault: net.latency, target: kvv, region: eu-west-1, clients_of: us-west-2}
          - inject: {fault: region.outage, target: us-east}
        """
    )
    assert [(p.where.split(":", 1)[1], p.message, p.hint) for p in problems] == [
        ("4:3", "unknown service 'ordrs'", "did you mean 'orders'?"),
        ("6:43", "unknown region 'us-east-2'", "did you mean 'us-west-2'?"),
        ("7:27", "unknown endpoint 'redis'", "known: kv, orders"),
        ("8:47", "unknown region 'us-west-1'", "did you mean 'us-west-2'?"),
        ("10:55", "unknown region 'eu-west-1'", "did you mean 'us-west-2'?"),
        # What a target means is the fault registry's call, made once the step's basics hold.
        ("11:5", "region.outage: unknown region 'us-east'; regions: us-east-1, us-west-2", ""),
    ]


def test_services_exits(check: Check) -> None:
    problems = check(BASE + "services:\n  orders: {exits: [failover, teleport, failover]}\n")
    # One problem for the union ('none' or a list), about the item that is wrong.
    assert places(problems) == ["8:30"]
    assert problems[0].message.startswith("services.orders.exits[1]: Input should be 'failover'")
    problems = check(BASE + "services:\n  orders: {exits: [failover, failover]}\n")
    assert places(problems) == ["8:12"]
    assert problems[0].message == "services.orders.exits: lists the same exit twice"


def test_expectations(check: Check) -> None:
    problems = check(
        BASE
        + """\
        expectations:
          rto: 10s
          eror_rate: 5%
          error_rate: 500%
          lost_writes: -1
          during: g
        """.replace("        ", "")
    )
    assert [(p.where.split(":", 1)[1], p.message) for p in problems] == [
        ("9:14", "unknown expectation 'eror_rate'"),
        ("10:15", problems[1].message),
        ("11:16", problems[2].message),
        ("12:11", "during: no fault has id 'g'"),
    ]
    assert problems[0].hint == "did you mean 'error_rate'?"
    assert problems[1].message.startswith("expectations.error_rate:")
    assert problems[2].message.startswith("expectations.lost_writes:")
    assert problems[3].hint == "did you mean 'f'?" or "known: f" in problems[3].hint


def test_expectations_need_a_workload(check: Check) -> None:
    text = BASE.replace("workload: {target: orders, rate: 10, settle: 5s}\n", "")
    problems = check(text + "expectations: {rto: 10s}\n")
    assert places(problems) == ["6:1"]
    assert "no workload" in problems[0].message


def test_many_problems_at_once_in_file_order(check: Check) -> None:
    problems = check(
        """\
        version: 2
        name: Bad Name
        workload: {target: orders, rate: 0}
        method:
          - at: 5s
            inject: {id: a, fault: dns.nodata, target: "kv.us-east-1.chaoskit.internal; x", for: 5s}
          - revert: b
          - at: 1s
            wait: 1x
        rollbacks:
          - inject: {fault: dns.nodata, target: kv.us-east-1.chaoskit.internal}
        colour: blue
        """
    )
    assert places(problems) == ["1:10", "2:7", "3:34", "6:48", "9:11", "11:5", "12:1"]
    assert len(problems) == 7


def test_load_playbook_raises_playbook_error_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "pb.yaml"
    path.write_text("version: 1\nname: t\nmethod: []\nextra: 1\n", encoding="utf-8")
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    assert [p.where for p in info.value.problems] == [f"{path}:3:1", f"{path}:4:1"]
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"# only a comment\n", "the file is empty"),
        (b"- a\n- b\n", "a playbook is a YAML mapping"),
        (b"just text\n", "a playbook is a YAML mapping"),
        (b"\xff\xfe\x00garbage", "cannot read playbook"),
        (b"a: !!python/object:os.system x\n", "invalid YAML"),
        (b"[" * 5000 + b"]" * 5000, "'[' and '{' nest 5000 deep"),
        (b"a: &a [*a]\n", "an alias (*name) refers to a value that contains it"),
        (
            b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + b"".join(
                b"a%d: &a%d [" % (i, i) + b", ".join([b"*a" if i == 1 else b"*a%d" % (i - 1)] * 10) + b"]\n"
                for i in range(1, 9)
            ),
            "aliases (*name) expand this document",
        ),
    ],
)
def test_not_a_playbook_at_all(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "pb.yaml"
    path.write_bytes(content)
    problems = validate_playbook(path)
    assert len(problems) == 1
    assert problems[0].message.startswith(message)
    assert problems[0].where.startswith(str(path))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert "cannot read playbook" in validate_playbook(tmp_path / "nope.yaml")[0].message
    assert "is a directory" in validate_playbook(tmp_path)[0].message


def test_topology_file(check: Check, tmp_path: Path) -> None:
    problems = check(BASE + "topology: nowhere.yaml\n")
    assert places(problems) == ["7:11"]
    assert problems[0].message == f"topology file {str(tmp_path / 'nowhere.yaml')!r} not found"
    (tmp_path / "t.yaml").write_text("regions: [us-east-1\n", encoding="utf-8")
    problems = check(BASE + "topology: t.yaml\n")
    assert places(problems) == ["7:11", "2:1"]
    assert problems[1].where.startswith(str(tmp_path / "t.yaml"))


def test_custom_topology_names_are_used(check: Check, tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "regions: [eu-west-1, eu-central-1]\nservices:\n  orders: {port: 8080, uses: [kv]}\n",
        encoding="utf-8",
    )
    text = BASE.replace("us-east-1", "eu-west-1") + "topology: t.yaml\n"
    assert check(text) == []
    problems = check(BASE + "topology: t.yaml\n")
    # A DNS target's region is the registry's call, and the registry knows this topology's.
    assert [p.message for p in problems] == [
        "'kv.us-east-1.chaoskit.internal': 'us-east-1' is not a region "
        "(names look like <endpoint>.<region>.chaoskit.internal)"
    ]
    problems = check(text + "steady_state: [{type: kv, region: us-east-1}]\n")
    assert [p.message for p in problems] == ["unknown region 'us-east-1'"]
