"""The proof of the driver, WP half (README "The proof of the driver"): Frama-C WP proves the
ACSL contracts of the split ring (tools/frama-c/run_wp.py, one test per target, every goal
proven) — and the proof is shown to fail when the driver or the arithmetic is wrong: mutants of
the driver and a queue size the 16-bit wrap does not divide leave goals unproven.

frama-c-base, why3 and cvc4 are required packages: tools/setup-deps.sh installs them.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "tools", "frama-c", "run_wp.py")
TARGETS = subprocess.run([sys.executable, RUN, "--list"], capture_output=True, text=True,
                         check=True).stdout.split()


def run_wp(*args):
    for tool in ("frama-c", "why3", "cvc4"):
        if not shutil.which(tool):
            pytest.fail("%s not installed: run tools/setup-deps.sh (frama-c-base, why3, cvc4)" % tool)
    return subprocess.run([sys.executable, RUN, *args], capture_output=True, text=True, cwd=ROOT)


def test_targets_cover_the_ring_invariants():
    assert {"need-event", "wrap", "split-size", "packed", "get-used", "get-used-wrap"} <= set(TARGETS)


@pytest.mark.parametrize("target", TARGETS)
def test_wp_proves_every_goal(target):
    p = run_wp(target)
    assert p.returncode == 0, p.stdout + p.stderr
    m = re.search(r"^%s\s+[\d.]+ s  (\d+) / (\d+) goals proven$" % re.escape(target), p.stdout, re.M)
    assert m and m.group(1) == m.group(2) and int(m.group(2)) > 0, p.stdout


def mutant(tmp_path, path, old, new):
    d = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "src", "driver"), d / "driver")
    f = d / "driver" / path
    text = f.read_text()
    assert text.count(old) == 1, old
    f.write_text(text.replace(old, new))
    return str(d)


def unproven(p):
    assert p.returncode == 1, p.stdout + p.stderr
    return re.findall(r"^    not proven: (\S+)", p.stdout, re.M)


@pytest.mark.parametrize("target,path,old,new,goals", [
    # the event-index comparison off by one (Linux's vring_need_event without its "- 1")
    ("need-event", "virtqueue.h", "(uint16_t)(new_idx - event - 1u) <", "(uint16_t)(new_idx - event) <",
     {"typed_vq_need_event_ensures_spec_formula", "typed_vq_need_event_ensures_event_passed"}),
    # <= for <: a notification for an event index the move did not reach
    ("need-event", "virtqueue.h", "- 1u) < (uint16_t)(new_idx - old_idx)", "- 1u) <= (uint16_t)(new_idx - old_idx)",
     {"typed_vq_need_event_ensures_spec_formula", "typed_vq_need_event_ensures_event_passed"}),
])
def test_wp_fails_on_a_broken_driver(tmp_path, target, path, old, new, goals):
    p = run_wp("--timeout", "5", "--driver", mutant(tmp_path, path, old, new), target)
    assert goals <= set(unproven(p)), p.stdout


@pytest.mark.parametrize("target,prop,old,new,goal", [
    # the chain's last link put one past the table (the sentinel the driver had before Eva)
    ("get-used", "links", "vq->state[last].next = vq->free_head;", "vq->state[last].next = vq->num;",
     "typed_vq_get_used_assert_links"),
    # the token not cleared when its chain is returned: it could be returned twice
    ("get-used", "returned_once", "s->token = NULL;", "",
     "typed_vq_get_used_split_free_list_ensures_returned_once"),
    # the chain not put back at the head of the free list: its descriptors lost
    ("get-used", "returned_once", "vq->free_head = (uint16_t)id;", "",
     "typed_vq_get_used_split_free_list_ensures_returned_once"),
    # a head not in flight accepted (the id's token not checked): a token returned twice
    ("get-used", "returned_once", "if (vq->state[id].token == NULL)\n", "if (0)\n",
     "typed_vq_get_used_split_free_list_ensures_returned_once"),
    # used.idx allowed to run ahead of what was published (the jump check gone)
    ("get-used-wrap", None, "if ((uint16_t)(used_idx - vq->last_used_idx) > in_flight)",
     "if (0)", "typed_vq_get_used_split_free_list_ensures_published_only"),
])
def test_wp_fails_when_a_chain_is_reclaimed_wrong(tmp_path, target, prop, old, new, goal):
    d = mutant(tmp_path, "virtqueue.c", old, new)
    p = run_wp("--timeout", "20", "--driver", d, *(["--prop", prop] if prop else []), target)
    assert goal in unproven(p), p.stdout


@pytest.mark.parametrize("num", [3, 12])
def test_slot_arithmetic_breaks_at_the_wrap_unless_a_power_of_two(num):
    # the lemma proven for every power of two is not provable for a size that does not divide
    # 65536 — and it is false: 0xffff and 0 are not in consecutive slots
    assert ((0xffff % num) + 1) % num != 0 % num
    p = run_wp("--timeout", "5", "-D", "WP_SLOT_NUM=%d" % num, "wrap")
    assert unproven(p) == ["typed_lemma_slot_next_other"], p.stdout


@pytest.mark.parametrize("old,new,goal", [
    # the size check gone: a split queue of 12 created (the defect the slot lemma found)
    ("    if (!split_size_ok(num)) /* §2.6, see split_size_ok */\n        return VIRTIO_ERR_INVALID;\n",
     "", "typed_vq_create_ensures_split_size"),
    # a size accepted that is not a power of two (3 <= 4)
    ("        if (num == p)\n", "        if (num <= p)\n", "typed_split_size_ok_ensures_accepted"),
])
def test_wp_fails_when_a_split_size_is_not_a_power_of_two(tmp_path, old, new, goal):
    d = mutant(tmp_path, "virtqueue.c", old, new)
    p = run_wp("--timeout", "20", "--driver", d, "split-size")
    assert goal in unproven(p), p.stdout


@pytest.mark.parametrize("old,new,goal", [
    # the driver's wrap counter not flipped at the ring's end (§2.7.1)
    ("        vq->avail_wrap = !vq->avail_wrap;\n", "", "typed_advance_ensures_flips_at_end"),
    # the offset allowed to reach the ring's size before it goes back to 0
    ("if (++vq->next_avail == vq->num)", "if (++vq->next_avail > vq->num)", "typed_advance_ensures_in_ring"),
    # the used side: the expected wrap counter not flipped when a list ends exactly at the ring's end
    ("    if (next >= vq->num) {\n", "    if (next > vq->num) {\n", "typed_advance_used_ensures_flips_at_end"),
    # a used id equal to the queue size accepted
    ("if (id >= vq->num) /* Linux", "if (id > vq->num) /* Linux", "typed_check_used_ensures_in_flight"),
    # a list not in flight (already returned) accepted: reclaimed twice
    ("if (vq->state[id].token == NULL) /* Linux", "if (0) /* Linux", "typed_check_used_ensures_in_flight"),
])
def test_wp_fails_on_a_broken_packed_ring(tmp_path, old, new, goal):
    d = mutant(tmp_path, "vq_packed.c", old, new)
    p = run_wp("--timeout", "20", "--driver", d, "packed")
    assert goal in unproven(p), p.stdout
