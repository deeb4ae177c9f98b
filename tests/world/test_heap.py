"""A service's own process keeps what start-up built out of the garbage collector's way (``settle_heap``):
checked in a process of its own, since freezing the test runner's heap would keep its garbage for good."""

import json
import subprocess
import sys


def test_a_service_process_freezes_its_start_up_heap_and_collects_less_often():
    code = ("import gc, json; from simulator.world.serve import settle_heap, GC_THRESHOLD; "
            "before = gc.get_freeze_count(); settle_heap(); "
            "print(json.dumps([before, gc.get_freeze_count(), gc.get_threshold()[0], GC_THRESHOLD]))")
    before, frozen, threshold, wanted = json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                                                   capture_output=True, text=True).stdout)
    assert before == 0 and frozen > 10_000  # the modules and models loaded so far
    assert threshold == wanted > 700
