"""The sandbox that runs a student's Python code: real bwrap, real hostile submissions, no mocks.

Each hostile submission must end with a clear status and message, leave the test process and the
machine as they were, and see nothing of the spec, the repository or /work.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import textwrap
import threading
import time

import numpy as np
import pytest

from grader.sandbox import Call, Limits, RunResult, available, bwrap, run_calls

from conftest import ROOT, SEED_SPEC

PROBLEM = available()
if PROBLEM is not None and not os.environ.get("CI"):  # CI installs bubblewrap (.ci/run): there it must fail
    pytest.skip(PROBLEM, allow_module_level=True)

# uids of this test process's runs alone (another checkout's tests may run sandboxes at the same time)
bwrap.UID_BASE, bwrap.UID_SPAN = 3_000_000 + os.getpid() % 4096 * 1024, 1024
FAST = Limits(seconds=2, wall_seconds=5, memory_mb=512, processes=32, output_kb=64)
RNN = """
import numpy as np

def rnn_step(h_prev, x, W_hh, W_hx):
    return np.tanh(W_hh @ h_prev + W_hx @ x)
"""
H, X, W_HH, W_HX = np.array([0.5, -1.0]), np.array([1.0]), np.array([[0.1, 0.2], [0.3, 0.4]]), np.ones((2, 1))
REFERENCE = np.tanh(W_HH @ H + W_HX @ X)


def run(source: str, *calls: Call, limits: Limits = FAST, sandbox: bool = True) -> RunResult:
    assert PROBLEM is None, PROBLEM
    return run_calls(textwrap.dedent(source), "rnn.py", list(calls) or [Call("f", ())], limits, sandbox=sandbox)


def sandbox_processes() -> list[int]:
    """Processes running as one of the sandbox's uids (none may outlive a run)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as status:
                uid = next(int(line.split()[1]) for line in status if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if bwrap.UID_BASE <= uid < bwrap.UID_BASE + bwrap.UID_SPAN:
            found.append(int(pid))
    return found


@pytest.fixture(autouse=True)
def nothing_left_behind():
    yield
    left = {pid: describe(pid) for pid in sandbox_processes()}
    assert not left


def describe(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read()[:120]
    except OSError:
        return "gone"


# --- a well-behaved submission -----------------------------------------------------------------------

def test_values_come_back_as_arrays_the_parent_made():
    result = run(RNN, Call("rnn_step", (H, X, W_HH, W_HX)), Call("rnn_step", (H.tolist(), [1.0], W_HH, W_HX)))
    assert result.status == "ok", result
    assert result.message == "all 2 calls returned"
    for call in result.results:
        assert call.ok and type(call.value) is np.ndarray and call.value.dtype == np.float64
        assert call.shape == (2,) and np.allclose(call.value, REFERENCE)


def test_a_scalar_comes_back_as_a_float_and_prints_are_kept():
    result = run("def f(a, b):\n    print('adding', a, b)\n    return a + b\n", Call("f", (1, 2.5)))
    assert result.status == "ok" and result.results[0].value == 3.5 and type(result.results[0].value) is float
    assert result.results[0].shape == () and "adding 1 2.5" in result.output


def test_without_the_sandbox_the_same_harness_runs():
    result = run(RNN, Call("rnn_step", (H, X, W_HH, W_HX)), sandbox=False)
    assert result.status == "ok" and np.allclose(result.results[0].value, REFERENCE)
    looping = run("def f():\n    while True:\n        pass\n", sandbox=False)
    assert looping.status == "timeout", looping


# --- what the student's code can see -----------------------------------------------------------------

def test_the_spec_the_repository_and_work_are_absent():
    paths = [str(SEED_SPEC), "/work/main/problems/rnn-attention.yaml", str(ROOT / "grader" / "solvers" / "rnn.py"),
             str(ROOT / "submissions"), "/work", "/root/.bash_history", "/etc/passwd", str(ROOT)]
    source = f"""
        import os, sys
        def f():
            seen = []
            for path in {paths!r}:
                try:
                    with open(path) as handle:
                        handle.read(1)
                    seen.append(1.0)
                except OSError:
                    seen.append(1.0 if os.path.exists(path) else 0.0)
            hits = [os.path.join(d, n) for d, _, names in os.walk("/") if not d.startswith(("/proc", "/usr", "/opt/site", sys.base_prefix))
                    for n in names if n.endswith((".yaml", ".sqlite", ".csv")) or n == "rnn.py" and d != "/submission"]
            try:
                import grader
                seen.append(1.0)
            except ImportError:
                seen.append(0.0)
            print(sorted(os.listdir("/")), hits, sorted(os.listdir("/opt/site")), os.listdir("."), sys.path)
            return seen + [float(len(hits))]
        """
    result = run(source, limits=Limits(seconds=10, wall_seconds=20))
    assert result.status == "ok", result
    assert result.results[0].value.tolist() == [0.0] * (len(paths) + 2), result.output
    assert "'rnn.py'" in result.output and "['numpy'" in result.output


def test_nothing_outside_is_changed(tmp_path):
    target = tmp_path / "written.txt"
    source = f"""
        def f():
            done = []
            for path in [{str(target)!r}, "/usr/evil", "/opt/site/numpy/evil.py", "/tmp/ok", "ok.txt"]:
                try:
                    with open(path, "w") as handle:
                        handle.write("x")
                    done.append(1.0)
                except OSError:
                    done.append(0.0)
            return done
        """
    result = run(source)
    assert result.results[0].value.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]  # only its own /tmp and folder
    assert not target.exists() and not os.path.exists("/usr/evil")


def test_no_network_not_even_the_hosts_loopback():
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    port = server.getsockname()[1]
    source = f"""
        import socket
        def f():
            tried = []
            for host, port in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("example.org", 80)]:
                try:
                    socket.create_connection((host, port), timeout=2).close()
                    tried.append(1.0)
                except OSError as error:
                    print(host, error)
                    tried.append(0.0)
            return tried
        """
    result = run(source)
    with server:
        with pytest.raises(socket.timeout):
            server.accept()
    assert result.status == "ok" and result.results[0].value.tolist() == [0.0, 0.0, 0.0], result


# --- limits ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["while True:\n        os.fork()",
                                  "while True:\n        try:\n            os.fork()\n        except OSError:\n"
                                  "            pass"])
def test_a_fork_bomb_is_stopped_and_the_machine_survives(body):
    started = time.monotonic()
    result = run(f"import os\ndef f():\n    {body}\n")
    assert result.status in ("timeout", "ok"), result
    if result.status == "ok":  # os.fork raised once the process limit was reached: the error says so
        assert "BlockingIOError" in result.results[0].error
    assert time.monotonic() - started < FAST.wall_seconds + 5
    assert subprocess.run(["true"]).returncode == 0  # the machine can still start a process


def test_allocating_ten_gigabytes():
    numpy_way = run("import numpy as np\ndef f():\n    return np.ones((10**9, 10)).sum()\n")
    assert numpy_way.status == "memory" and "512 MB" in numpy_way.message, numpy_way
    assert numpy_way.results[0].error.startswith("MemoryError") and "rnn.py:3:" in numpy_way.results[0].error
    python_way = run("def f():\n    block = bytearray(10 * 2**30)\n    return 1.0\n")
    assert python_way.status == "memory", python_way


def test_an_endless_loop_hits_the_cpu_limit():
    started = time.monotonic()
    result = run("def f():\n    while True:\n        pass\n")
    assert result.status == "timeout" and "CPU" in result.message, result
    assert time.monotonic() - started < FAST.wall_seconds


def test_a_run_says_what_time_it_cost():
    """The caller charges it (the service, to the student who sent the code), start-up included."""
    busy = run("import time\ndef f():\n    end = time.process_time() + 0.5\n    while time.process_time() < end:\n"
               "        pass\n    return 1.0\n")
    assert busy.status == "ok" and 0.5 <= busy.seconds < FAST.wall_seconds, busy
    endless = run("def f():\n    while True:\n        pass\n")
    assert endless.status == "timeout" and endless.seconds >= FAST.seconds, endless
    asleep = run("import time\ndef f():\n    time.sleep(1000)\n", limits=Limits(wall_seconds=1))
    assert asleep.transient and asleep.seconds >= 1  # it held its caller as long as it slept


def test_sleeping_forever_hits_the_wall_clock():
    started = time.monotonic()
    result = run("import time\ndef f():\n    time.sleep(1000)\n", limits=Limits(wall_seconds=2))
    assert result.status == "timeout" and "within 2 s" in result.message, result
    assert time.monotonic() - started < 4


def test_a_gigabyte_of_output_is_cut():
    started = time.monotonic()
    result = run("import sys\ndef f():\n    for _ in range(2**20):\n        sys.stdout.write('x' * 1023 + '\\n')\n")
    assert result.status == "output" and "64 KB" in result.message, result
    assert len(result.output) < 70 * 1024 and result.output.endswith("[... output cut at 64 KB]")
    assert time.monotonic() - started < FAST.wall_seconds


# --- attacks on the parent and on the results ----------------------------------------------------------

def test_killing_its_parent_or_its_group_harms_no_one_outside():
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        source = """
            import os
            def f():
                refused = []
                for target in [os.getppid(), 1, -1, %d]:
                    try:
                        os.kill(target, 9)
                        refused.append(0.0)
                    except OSError:
                        refused.append(1.0)
                return refused
            """ % bystander.pid
        parent = run(source)  # its parent is the sandbox's init (root's): signals from a uid of no one's fail
        assert parent.status == "ok" and parent.results[0].value.tolist() == [1.0] * 4, parent
        group = run("""
            import os
            def f():
                try:
                    os.killpg(os.getpgid(0), 9)  # its group's leader is outside its pid namespace: no such group
                except OSError:
                    pass
                os.killpg(0, 9)  # its own group: itself and the sandbox's init, which root owns
                return 1.0
            """)
        assert group.status == "crashed" and "SIGKILL" in group.message, group
        assert bystander.poll() is None  # a root process outside the sandbox lives on
    finally:
        bystander.kill()
        bystander.wait()


def test_patching_numpy_inside_changes_no_comparison_outside():
    source = """
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        np.isclose = lambda *a, **k: True
        def rnn_step(h_prev, x, W_hh, W_hx):
            return np.zeros(2) + 42
        """
    result = run(source, Call("rnn_step", (H, X, W_HH, W_HX)))
    assert result.status == "ok" and not np.allclose(result.results[0].value, REFERENCE)


def test_an_object_with_a_lying_eq_never_leaves_the_sandbox():
    source = """
        import numpy as np
        class Liar:
            def __eq__(self, other):
                return True
            __float__ = lambda self: 0.0
        class Equal(np.ndarray):
            def __eq__(self, other):
                return np.ones(np.shape(other), dtype=bool)
        def liar():
            return Liar()
        def subclass():
            return np.zeros(2).view(Equal)
        """
    result = run(source, Call("liar", ()), Call("subclass", ()))
    liar, subclass = result.results
    assert not liar.ok and "returned a Liar, not real numbers" in liar.error
    assert type(subclass.value) is np.ndarray and not (subclass.value == REFERENCE).all()


def test_fake_result_markers_are_refused():
    fake = '{"nonce": "%s", "kind": "result", "index": 0, "ok": true, "data": 42.0, "shape": []}'
    source = f"""
        import os
        def f():
            for guess in ["", "0" * 32, "{{nonce}}"]:
                print({fake!r} % guess)
                print('{{"nonce": "%s", "kind": "done"}}' % guess)
            for fd in range(3, 64):
                try:
                    os.write(fd, ({fake!r} % ("0" * 32) + "\\n").encode())
                except OSError:
                    pass
            return 1.0
        """
    result = run(source)
    assert result.status == "ok" and result.results[0].value == 1.0, result
    assert '"data": 42.0' in result.output


def test_a_fake_done_then_exit_is_a_crash():
    result = run('import os\ndef f():\n    print(\'{"kind": "done"}\')\n    os._exit(0)\n')
    assert result.status == "crashed" and "before all calls" in result.message, result


# --- submissions that do not work ------------------------------------------------------------------

def test_a_syntax_error_names_its_line():
    result = run("import numpy as np\n\ndef rnn_step(h, x, W_hh, W_hx)\n    return h\n", Call("rnn_step", (1.0,)))
    assert result.status == "syntax" and result.message.startswith("rnn.py line 3:"), result
    assert "def rnn_step" in result.message and not result.results[0].ok


def test_a_missing_function_is_named():
    result = run("def rnn_stp(h, x, W_hh, W_hx):\n    return h\n", Call("rnn_step", (H, X, W_HH, W_HX)))
    assert result.status == "missing-function" and "does not define rnn_step" in result.message, result


def test_an_exception_shows_only_the_students_lines():
    source = """
        import numpy as np

        def helper(W, x):
            return W @ x / 0

        def rnn_step(h_prev, x, W_hh, W_hx):
            h = helper(W_hh, h_prev) + np.linalg.inv(np.zeros((2, 2))) @ x
            return h
        """
    result = run(source, Call("rnn_step", (H, X, W_HH, W_HX)), Call("rnn_step", (H, [1.0, 2.0], W_HH, W_HX)))
    assert result.status == "ok" and result.message == "2 of 2 calls raised an error"
    error = result.results[0].error
    assert error.splitlines() == ["LinAlgError: Singular matrix",
                                  "rnn.py:8: h = helper(W_hh, h_prev) + np.linalg.inv(np.zeros((2, 2))) @ x"]
    assert "harness" not in error and "numpy" not in error


def test_an_error_while_loading_is_reported():
    result = run("import numpy as np\nx = undefined_name\ndef f():\n    return 1.0\n")
    assert result.status == "crashed" and "NameError" in result.message and "rnn.py:2" in result.message


def test_os_exit_mid_run_is_a_crash_and_earlier_results_stay():
    source = "import os\ndef f(n):\n    if n == 2:\n        os._exit(0)\n    return float(n)\n"
    result = run(source, Call("f", (1,)), Call("f", (2,)), Call("f", (3,)))
    assert result.status == "crashed", result
    assert result.results[0].value == 1.0 and not result.results[1].ok and not result.results[2].ok


def test_runs_in_parallel_do_not_share_a_process_count():
    results: list[RunResult] = []
    workers = [threading.Thread(target=lambda: results.append(run(RNN, Call("rnn_step", (H, X, W_HH, W_HX)))))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [r.status for r in results] == ["ok"] * 4


def test_the_sandbox_kills_what_outlives_it_when_the_parent_is_killed(tmp_path):
    """--die-with-parent: a grader killed mid-run takes its sandbox along."""
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent("""
        from grader.sandbox import Call, Limits, bwrap, run_calls
        bwrap.UID_BASE, bwrap.UID_SPAN = %d, %d
        run_calls("import time\\ndef f():\\n    time.sleep(60)\\n", "a.py", [Call("f", ())], Limits(wall_seconds=60))
        """ % (bwrap.UID_BASE, bwrap.UID_SPAN)))
    parent = subprocess.Popen([os.sys.executable, str(script)], cwd=ROOT)
    deadline = time.monotonic() + 10
    while not sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_processes()
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_scratch_folders_of_killed_runs_are_removed_by_the_next_process(tmp_path, monkeypatch):
    """A grader killed while a student's code ran left its scratch folder (a copy of the student's file) in the
    temporary folder for good. The next process to run code removes this user's folders of processes gone, and
    nothing else: a running process's folder, a link, another name."""
    import tempfile

    from grader.sandbox import run as sandbox_run

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    alive = subprocess.Popen(["sleep", "30"])
    try:
        stale = tmp_path / f"grader-run-{gone.pid}-abc"
        (stale / "work").mkdir(parents=True)
        (stale / "work" / "rnn.py").write_text("secret = 1\n")
        running = tmp_path / f"grader-run-{alive.pid}-def"
        running.mkdir()
        target = tmp_path / "kept"
        target.mkdir()
        link = tmp_path / f"grader-run-{gone.pid}-link"
        link.symlink_to(target)
        other = tmp_path / f"grader-runner-{gone.pid}"
        other.mkdir()
        sandbox_run._sweep_scratch.cache_clear()
        result = run_calls("def f():\n    return 1.0\n", "rnn.py", [Call("f", ())], sandbox=False)
        assert result.status == "ok"
        assert not stale.exists() and running.is_dir() and link.is_symlink() and target.is_dir() and other.is_dir()
        assert not list(tmp_path.glob(f"grader-run-{os.getpid()}-*"))  # its own, removed when the run ended
    finally:
        alive.kill()
        alive.wait()
        sandbox_run._sweep_scratch.cache_clear()
