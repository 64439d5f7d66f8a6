"""virtio-blk disks of any capacity: an 8 GiB sparse image runs as a scenario and its recording
checks, the model and the kernel's view of the disk holding only the chunks written (the run's
and the check's peak memory well under the image's size; tests/unit/test_blk.c counts the
chunks and shows the content check speak at 5 GiB).

The image (made here, sparse: a few KiB on disk) has a known head at sector 0, a known tail in
its last sector and one sector in the middle at 5 GiB; the scenario reads each of them, writes 8
sectors past 4 GiB and reads them back, and reads one sector past the end (IOERR,
blk.req.within-capacity, the capacity named). Checked by content: each read equals the image's
bytes (or the write's), by the kernel's own sparse view of the file. Then `vqsim check` on the
run's recording, with no scenario: the capacity the driver read (16777216 sectors) is the
model's disk, the same violation and nothing else, no discrepancy. Until now both refused the
disk (the model took 256 MiB at most; `check` exited 2)."""
import json
import os
import subprocess

from conftest import vqsim_path

SECTORS = 16 << 20  # 8 GiB
MIDDLE = 10 << 20   # 5 GiB


def make_image(path):
    with open(path, "wb") as f:
        f.truncate(SECTORS * 512)
        for sector, text in ((0, b"vqsim large disk: head"), (MIDDLE, b"middle at 5 GiB"),
                             (SECTORS - 1, b"the last sector")):
            f.seek(sector * 512)
            f.write(text.ljust(512, b"."))


def scenario(tmp_path):
    img = tmp_path / "disk-8g.img"
    make_image(img)
    yaml = tmp_path / "blk-8g.yaml"
    yaml.write_text(f"""name: blk-8g
description: an 8 GiB sparse disk, read at its head, middle and tail, written past 4 GiB
device:
  transport: modern
  type: blk
  disk: {{image: {img.name}}}
steps:
  - blk_read: {{sector: 0, count: 8}}
  - blk_read: {{sector: {MIDDLE - 4}, count: 8}}
  - blk_read: {{sector: {SECTORS - 8}, count: 8}}
  - blk_write: {{sector: {(4 << 21) + 3}, count: 8, seed: 9}}
  - blk_read: {{sector: {4 << 21}, count: 16}}
  - blk_read: {{sector: {SECTORS - 1}, count: 2, raw: true, expect_blk_status: IOERR}}
expect:
  outcome: violation
  violations: [blk.req.within-capacity]
""")
    return yaml


def run_rss(*args):
    """Run vqsim: (exit status, stdout, its peak resident memory in MiB)."""
    p = subprocess.Popen([str(vqsim_path()), *map(str, args)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.stdout.close()
    return os.waitstatus_to_exitcode(status), out, usage.ru_maxrss / 1024


def test_an_8_gib_disk_runs_and_its_recording_checks(tmp_path):
    yaml = scenario(tmp_path)
    assert os.stat(tmp_path / "disk-8g.img").st_blocks * 512 < (1 << 20)  # sparse on disk
    rec = tmp_path / "rec"
    out = tmp_path / "run.json"
    rc, text, mib = run_rss("run", "--record", rec, "--json", out, yaml)
    assert rc == 0, text
    assert mib < 1024, mib  # (the image whole would be 8192 MiB)
    s = json.loads(out.read_text())["scenarios"][0]
    assert s["passed"], s["failures"]
    details = [st["detail"] for st in s["steps"]]
    assert f"blk, {SECTORS} sectors" in details[0], details[0]
    assert all("status OK" in d for d in details[1:6]), details
    assert details[6].endswith("status IOERR"), details[6]
    v = s["violations"]
    assert [x["rule"] for x in v] == ["blk.req.within-capacity"], v
    assert f"read of 2 sector(s) at sector {SECTORS - 1}: the disk has {SECTORS}" in \
        v[0]["message"], v[0]["message"]
    # the recording checks, the capacity taken from the driver's config reads
    cj = tmp_path / "check.json"
    rc, text, mib = run_rss("check", "--json", cj, rec / "blk-8g.vqrec")
    assert rc == 1, text  # findings: the read past the end
    assert mib < 1024, mib
    c = json.loads(cj.read_text())["scenarios"][0]
    assert c["device"]["type"] == "blk" and c["source"]["discrepancies"] == 0, c["source"]
    assert [x["rule"] for x in c["violations"]] == ["blk.req.within-capacity"], c["violations"]
    assert f"the disk has {SECTORS} (capacity)" in c["violations"][0]["message"]

