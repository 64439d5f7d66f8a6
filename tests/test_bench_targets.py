"""bench/targets.py, the last table of `make bench`: every row of issue 24's table against its
target, read from the figures the other tables printed.

The verdict logic is checked on a canned bench output, once with every figure inside its target
and once with every figure outside (a verdict that cannot say "NOT met" would pass for a met
target). No benchmark runs and nothing is timed here (tests/test_bench.py runs the real bench at
a tiny scale when build-bench/ exists).
"""
import re
import subprocess
import sys

from conftest import ROOT

# The table, row by row, and the packed / PCI rows beside the split / mmio ones.
ROWS = ("instructions per checked round trip (callgrind)", "checks on / checks off",
        "packed ring: instructions per checked round trip", "packed ring: checks on / checks off",
        "virtio-pci: instructions per checked round trip", "virtio-pci: checks on / checks off",
        "TRANSFER_TO_HOST_2D + RESOURCE_FLUSH of a 1080p frame / memcpy",
        "whole suite, `vqsim run -j 2` / one QEMU 7.2 boot-to-screendump",
        "per scenario in the suite vs its QEMU run",
        "`vqsim record` on a Linux boot / plain QEMU",
        "recording size, Linux boot with a busy display",
        "`vqsim check` throughput", "`vqsim check` memory")


def bench_output(good):
    """A bench run's text in the tables' own formats; every figure in (good) or out of target."""
    g = good
    ir_on, ns_on = (900, 120.0) if g else (5500, 250.0)
    return f"""
## 1. Round trip (queue 256, 1-descriptor chains, 1000 round trips, best of 5)

| path | ns / round trip | M round trips/s | vs checks off | vs floor |
|---|---:|---:|---:|---:|
| floor: bare ring, indices only | 2.3 | 427.9 | | 1.0x |
| driver + model, checks off | 100.0 | 10.00 | 1.00x | 43.5x |
| driver + model, checks on (default trace bound, 65536 events) | {ns_on} | 4.30 | 2.46x | 99.5x |
| driver + model, checks on (trace bound 1048576 events) | 246.9 | 4.05 | 2.61x | 105.7x |
| packed ring: driver + model, checks off | 100.0 | 10.00 | 1.00x | 43.5x |
| packed ring: driver + model, checks on | {ns_on} | 4.30 | 2.46x | 99.5x |
| virtio-pci (queue 16): driver + model, checks off | 100.0 | 10.00 | 1.00x | 43.5x |
| virtio-pci (queue 16): driver + model, checks on | {ns_on} | 4.30 | 2.46x | 99.5x |

## 1b. Instructions per round trip (valgrind --tool=callgrind; stable under load)

| path | instructions / round trip | vs checks off | vs floor |
|---|---:|---:|---:|
| floor: bare ring, indices only | 50 | | 1.0x |
| driver + model, checks off | 700 | 1.00x | 14.0x |
| driver + model, checks on | {ir_on} | 1.29x | 18.0x |
| packed ring: driver + model, checks off | 700 | 1.00x | 14.0x |
| packed ring: driver + model, checks on | {ir_on} | 1.29x | 18.0x |
| virtio-pci (queue 16): driver + model, checks off | 700 | 1.00x | 14.0x |
| virtio-pci (queue 16): driver + model, checks on | {ir_on} | 1.29x | 18.0x |

## 2. Transfer (1920x1080 B8G8R8X8 = 8294400 bytes per frame, 10 frames, best of 5)

| path | ms / frame | GB/s (frame bytes) | vs memcpy |
|---|---:|---:|---:|
| memcpy of the frame | 0.273 | 30.35 | 1.00x |
| RESOURCE_FLUSH only | 1.244 | 6.67 | {0.9 if g else 0.22}x |
| TRANSFER_TO_HOST_2D + RESOURCE_FLUSH | 2.175 | 3.81 | {0.75 if g else 0.26}x |

## 3. Suite (300 scenarios, best of 5; QEMU: QEMU emulator version 7.2.22)

| what | wall ms | CPU ms (user+sys) | QEMU run / this, wall | QEMU run / this, CPU |
|---|---:|---:|---:|---:|
| whole suite, one `vqsim run` (-j 1) | {60.0 if g else 300.0} | 58.00 | 0.6x | 0.6x |
| whole suite, one `vqsim run -j 2` | {30.0 if g else 160.0} | 60.00 | 1.2x | 0.6x |
| QEMU: start to process exit (screendump + quit) | 40.0 | 35.0 | 1x | 1x |

## 6. Recording a Linux guest (bench/linux_record.py: size, record / plain QEMU, check)

kernel 6.1.0-57-arm64; build-bench/vqsim; 3 runs each, round-robin; load average 1.0

### modern

| run | median s | best s | busy-console lines |
|---|---:|---:|---:|
| plain QEMU | 2.30 | 2.20 | - |
| vqsim record | {2.8 if g else 6.5} | 2.60 | - |

record / plain: {1.22 if g else 2.83}x (median)
recording: 0.21 MB, 3903 events, 820 barriers (21.0 %)
vqsim check: 0.05 s, peak memory 10.4 MiB; PASS (exit 0)

### busy

| run | median s | best s | busy-console lines |
|---|---:|---:|---:|
| plain QEMU | 12.90 | 12.50 | 323 |
| vqsim record | 16.58 | 16.00 | 166 |

record / plain: 1.29x (median)
recording: {3.0 if g else 6.63} MB, 78814 events, 23644 barriers (30.0 %)
vqsim check: {0.005 if g else 0.16} s, peak memory {12.0 if g else 30.0} MiB; PASS (exit 0)
"""


def targets(tmp_path, text):
    f = tmp_path / "bench.txt"
    f.write_text(text)
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "targets.py"), str(f)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "## Targets (issue 24)" in p.stdout
    got = {}
    for line in p.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in ROWS:
            got[cells[0]] = (cells[1], cells[3])
    assert set(got) == set(ROWS), p.stdout
    return got


def test_every_row_met(tmp_path):
    got = targets(tmp_path, bench_output(True))
    assert {r: v for r, (_, v) in got.items()} == {r: "met" for r in ROWS}
    # the figures are this run's, read from their tables
    assert got[ROWS[0]][0].startswith("900 (18x the 50-instruction bare ring; checks off 700)")
    assert got[ROWS[1]][0] == "1.29x instructions, 1.20x wall"
    assert got[ROWS[7]][0].startswith("30.0 ms vs 40.0 ms")
    assert got[ROWS[8]][0].startswith("200x (0.20 ms per scenario, -j 1 / 300")
    assert got[ROWS[10]][0].startswith("0.18 MB/s (3.00 MB in a 16.6 s recorded run)")
    assert got[ROWS[11]][0].startswith("15.76 M events/s")


def test_every_row_not_met(tmp_path):
    got = targets(tmp_path, bench_output(False))
    assert {r: v for r, (_, v) in got.items()} == {r: "NOT met" for r in ROWS}
    assert got[ROWS[6]][0] == "0.26x (flush alone 0.22x)"
    assert got[ROWS[12]][0] == "10.4 MiB at 3903 events, 30.0 MiB at 78814 (2.88x)"


def test_missing_tables_say_why(tmp_path):
    """A table that did not run gives n/a with its reason, never a figure of another run."""
    text = bench_output(True)
    text = re.sub(r"## 1b\..*?(?=## 2\.)", "## 1b. Instructions per round trip: skipped "
                  "(BENCH_NO_CALLGRIND=1)\n\n", text, flags=re.S)
    text = text[:text.index("## 6.")] + ("## 6. Recording a Linux guest (bench/linux_record.py:"
                                         " size, record / plain QEMU, check)\n\nn/a: "
                                         "BENCH_NO_LINUX=1\n")
    got = targets(tmp_path, text)
    for r in (ROWS[0], ROWS[2], ROWS[4]):
        assert got[r] == ("-", "n/a (BENCH_NO_CALLGRIND=1)"), r
    for r in ROWS[9:]:
        assert got[r] == ("-", "n/a (BENCH_NO_LINUX=1)"), r
    assert got[ROWS[1]] == ("1.20x wall", "met")  # the wall half still measured
    assert got[ROWS[7]][1] == "met"


def test_linux_lines_as_printed_today(tmp_path):
    """Table 6's recording and check lines as bench/linux_record.py prints them (the format and
    the uncompressed size, the events/s, the CPU time after the figures) give the same verdicts
    and figures as the plain ones (a regex that missed them made both rows n/a)."""
    plain = bench_output(True)
    text = plain.replace("recording: 0.21 MB, 3903 events",
                         "recording: 0.210 MB (format 2; 2.10 MB uncompressed), 3903 events")
    text = text.replace("recording: 3.0 MB, 78814 events",
                        "recording: 3.000 MB (format 2; 31.00 MB uncompressed), 78814 events")
    text = text.replace("vqsim check: 0.05 s, peak memory 10.4 MiB",
                        "vqsim check: 0.0500 s (0.08 M events/s, process start included; median "
                        "of 5), peak memory 10.4 MiB; CPU 0.040 s (0.10 M events per CPU-second)")
    text = text.replace("vqsim check: 0.005 s, peak memory 12.0 MiB",
                        "vqsim check: 0.0050 s (15.76 M events/s, process start included; median "
                        "of 5), peak memory 12.0 MiB; CPU 0.004 s (19.70 M events per CPU-second)")
    assert text.count("format 2") == 2 and text.count("median of 5") == 2
    assert targets(tmp_path, text) == targets(tmp_path, plain)
