"""A real kernel judged against every VirtIO version: Debian's Linux 6.1 (tests/test_linux.py's
guest and recordings, made once per session) is clean against 1.1, 1.2, 1.3 and 1.4. Its reads
of 1.2's shared-memory registers are named as later-version registers only when judged against
1.1 (or QEMU 7.2's default); against 1.2 and later they are registers of the version."""
import pytest

from test_linux import check, guest, guest_did_its_part, recordings  # noqa: F401 (fixtures)


@pytest.mark.parametrize("version", ["qemu", "1.1", "1.2", "1.3", "1.4"])
def test_linux_is_clean_against_every_version(guest, recordings, version):  # noqa: F811
    rec, serial = recordings("modern", 0)
    guest_did_its_part(guest, "modern", serial)
    p, s = check(rec, "--spec", version)
    assert s, p.stderr
    assert p.returncode == 0, p.stdout
    assert s["outcome"] == "ok" and s["violations"] == [], s["violations"]
    assert s["spec_version"] == ("qemu-7.2" if version == "qemu" else version)
    later = {f["rule"] for f in s["informational"]}
    if version in ("qemu", "1.1"):
        assert later == {"mmio.later-version-register"}
        assert s["not_in_spec"] == []
    else:
        assert later == set()
        assert s["not_in_spec"] == ["mmio.later-version-register"]
