"""The child side of the code check: runs a student's file in its own process and saves what it returns.

This file is run as a script (``python -I -B runner.py``, in a fresh temporary folder that holds the
job, the inputs and a copy of the student's file); it never imports gradproof, only the standard
library and numpy. The parent (``sandbox.py``) gives it a minimal environment; its first act is to set
the operating system's limits on itself (CPU, memory, file size, no core files). Then, before the student's module is
imported, an audit hook (PEP 578) refuses what checked code has no business doing: starting programs,
sockets, ctypes, changing limits, writing outside the folder, reading files outside the folder, the
standard library and numpy. An audit hook is no sandbox against a determined attacker (it lives in the
same interpreter); it turns the ordinary misdeeds into clear, reported refusals. The OS limits, the
separate process and the environment hold regardless.

Protocol (nothing is ever pickled): ``job.json`` names the module, the functions and the cases; case i
reads ``in{i}_x.npy``, ``in{i}_y.npy``, ``in{i}_W{k}.npy`` (and ``in{i}_b{k}.npy``); the child writes
``out{i}_dW{k}.npy`` (``out{i}_db{k}.npy``, ``out{i}_fwd{k}.npy``). Its record goes to the parent over a pipe
(the file descriptor ``job["channel"]``), one JSON line per event as it happens: the import, each case, and
each refusal, written by the audit hook before the refused call returns. What is in a pipe cannot be taken
back, so code that runs later (an exit handler) cannot erase it; the writer checks before each line that
the descriptor is still the parent's pipe and ends the process with CHANNEL_LOST when it is not (closed, or
replaced with ``os.dup2``), which the parent reports.
"""
import json
import os
import sys
import time
import traceback

MAX_ELEMENTS = 10_000_000      # a returned array larger than this is not saved (a 10^9-element array is an answer, not data)
MAX_TEXT = 600                 # characters of an exception message kept
CHANNEL_LOST = 86              # the exit status when the record channel was closed or replaced under the child

# events that checked code never needs; each is refused with PermissionError and reported
REFUSED = {
    "os.system": "starting a program (os.system)", "os.exec": "starting a program (os.exec*)",
    "os.spawn": "starting a program (os.spawn*)", "os.posix_spawn": "starting a program (os.posix_spawn)",
    "subprocess.Popen": "starting a program (subprocess)", "os.fork": "forking a process",
    "os.forkpty": "forking a process", "pty.spawn": "starting a program (pty)", "os.kill": "sending a signal",
    "os.killpg": "sending a signal", "socket.connect": "a network connection", "socket.bind": "a network socket",
    "socket.sendto": "sending over the network", "socket.sendmsg": "sending over the network",
    "socket.getaddrinfo": "a network name lookup", "socket.gethostbyname": "a network name lookup",
    "ctypes.dlopen": "loading a C library (ctypes)", "ctypes.dlsym": "calling C code (ctypes)",
    "ctypes.cdata": "reading raw memory (ctypes)", "ctypes.addressof": "reading raw memory (ctypes)",
    "resource.setrlimit": "changing its limits", "resource.prlimit": "changing its limits",
    "gc.get_objects": "walking the interpreter's objects", "gc.get_referrers": "walking the interpreter's objects",
    "gc.get_referents": "walking the interpreter's objects", "sys.setprofile": "profiling hooks",
    "sys.settrace": "tracing hooks", "os.chroot": "changing the root folder", "os.setuid": "changing its user",
}
WRITE_EVENTS = {"os.remove": (0,), "os.rename": (0, 1), "os.replace": (0, 1), "os.mkdir": (0,), "os.rmdir": (0,),
                "os.link": (0, 1), "os.symlink": (1,), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,),
                "os.utime": (0,), "os.chflags": (0,), "os.lchmod": (0,), "os.lchown": (0,), "shutil.rmtree": (0,),
                "os.mkfifo": (0,), "os.mknod": (0,)}
LIST_EVENTS = ("os.listdir", "os.scandir", "glob.glob", "os.walk")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _argument(event, args):
    """The argument of a refused event worth showing (the command, the host, the library), as text."""
    if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
        args = args[1:]
    elif event == "subprocess.Popen" and len(args) > 1 and args[1] is not None:
        args = args[1:]
    if not args or not isinstance(args[0], (str, bytes, int, float, tuple, list)):
        return ""
    value = args[0]
    if isinstance(value, (tuple, list)):
        value = " ".join(str(v) for v in value[:8] if isinstance(v, (str, bytes, int, float)))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    return ": " + text[:200] if text else ""


def _inside(path, roots):
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def open_channel(fd):
    """The function that writes one record to the parent's pipe, as one line, at once.

    Everything it uses is bound here, before the checked code is loaded, so that replacing ``os.write`` or
    ``json.dumps`` later changes nothing; a line starts with a newline, so that bytes the checked code writes
    into the pipe cannot run into it."""
    first = os.fstat(fd)
    identity = (first.st_dev, first.st_ino)
    write, fstat, exit_ = os.write, os.fstat, os._exit
    encode = json.JSONEncoder(ensure_ascii=True).encode

    def send(record):
        data = ("\n" + encode(record) + "\n").encode("ascii")
        try:
            now = fstat(fd)
            if (now.st_dev, now.st_ino) != identity:
                raise OSError("the record channel was replaced")
            while data:
                data = data[write(fd, data):]
        except Exception:
            exit_(CHANNEL_LOST)
    return send


def install_guard(folder, read_roots, send, allowed=(), denied=(), own_files=(), max_files=100):
    """The audit hook; its policy lives in this closure (tuples: nothing the checked code can append to).

    Reading is allowed inside ``allowed`` and the folder, else inside ``read_roots`` but not ``denied``
    (the standard library, but not the site-packages folder within it: numpy is allowed by name, the rest,
    gradproof included when it is installed there, is not the checked code's to read). Each refusal is sent
    to the parent (``send``) before the PermissionError is raised. Creating files beyond ``max_files`` in
    the folder (the harness's ``own_files`` aside) is refused too."""
    write_roots = (os.path.realpath(folder),)
    allowed = tuple(os.path.realpath(r) for r in allowed) + write_roots
    denied = tuple(os.path.realpath(r) for r in denied)
    read_roots = tuple(os.path.realpath(r) for r in read_roots)
    own = frozenset(os.path.join(write_roots[0], name) for name in own_files)

    def readable(path):
        return _inside(path, allowed) or (_inside(path, read_roots) and not _inside(path, denied))
    refused, write_events, list_events = dict(REFUSED), dict(WRITE_EVENTS), tuple(LIST_EVENTS)
    realpath, fspath, isinstance_, exists, argument = os.path.realpath, os.fspath, isinstance, os.path.lexists, _argument
    created = [0]

    def real(path):
        if isinstance_(path, int) or path is None:
            return None
        try:
            path = fspath(path)
            if isinstance_(path, bytes):
                path = path.decode("utf-8", "replace")
            return realpath(path)
        except Exception:
            return "?"

    def refuse(what):
        send({"refused": what})
        raise PermissionError(f"refused by the code checker: {what}")

    def count_new(path, what):
        if path in own or exists(path):
            return
        if created[0] >= max_files:
            refuse(f"{what} {path} (more than {max_files} files)")
        created[0] += 1

    def hook(event, args):
        if event in refused:
            refuse(refused[event] + argument(event, args))
        elif event.startswith("os.exec") or event.startswith("os.spawn") or event.startswith("socket.") and event != "socket.__new__":
            refuse(f"{event}" + argument(event, args))
        elif event == "open":
            path = real(args[0])
            if path is None:
                return
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or bool((flags or 0) & WRITE_FLAGS)
            if writing and not _inside(path, write_roots):
                refuse(f"writing {path} (outside its folder)")
            if not writing and not readable(path):
                refuse(f"reading {path} (outside its folder)")
            if writing:
                count_new(path, "creating")
        elif event in write_events:
            for index in write_events[event]:
                path = real(args[index]) if index < len(args) else None
                if path is not None and not _inside(path, write_roots):
                    refuse(f"changing {path} (outside its folder)")
            if event in ("os.mkdir", "os.mkfifo", "os.mknod", "os.symlink", "os.link"):
                target = real(args[1 if event in ("os.symlink", "os.link") else 0])
                if target is not None:
                    count_new(target, "creating")
        elif event in list_events:
            path = real(args[0] if args and args[0] is not None else ".")
            if path is not None and not readable(path):
                refuse(f"listing {path} (outside its folder)")

    sys.addaudithook(hook)


class OnlyAvailable:
    """An import finder that answers, for a module that is neither numpy nor in the standard library, that it is
    not available here: a plain ModuleNotFoundError rather than a refused read of site-packages."""

    def __init__(self, names):
        self.names = frozenset(names)

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in self.names:
            return None
        raise ModuleNotFoundError(f"No module named {top!r} here: checked code may import numpy and the standard "
                                  "library only", name=top)


FOLDER = os.getcwd()          # the job's folder, fixed at start: the checked code may change the working folder


def _path(name):
    return os.path.join(FOLDER, name)


def _load(case, name):
    import numpy as np
    return np.load(_path(f"in{case}_{name}.npy"), allow_pickle=False)


def _where(error, module_file):
    """The innermost line of the student's file in a traceback: 'line 12 in backward: delta = delta @ W[k]'."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if os.path.basename(f.filename) == module_file]
    if not frames:
        return None
    f = frames[-1]
    return f"line {f.lineno} in {f.name}: {(f.line or '').strip()[:200]}"


def _describe(error, module_file):
    message = str(error)
    return {"status": "exception", "type": type(error).__name__,
            "message": message[:MAX_TEXT] + ("…" if len(message) > MAX_TEXT else ""), "where": _where(error, module_file)}


def _type_name(value):
    import numpy as np
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _array(value, label):
    """A returned value as a float64 array, or a BadReturn naming what it is."""
    import numpy as np
    if isinstance(value, np.ndarray):
        if value.size > MAX_ELEMENTS:
            raise BadReturn(f"{label} has {value.size:,} elements (shape {value.shape})")
        if value.dtype.kind not in "biuf":
            kind = "complex numbers" if value.dtype.kind == "c" else f"dtype {value.dtype}"
            raise BadReturn(f"{label} is an array of {kind}, not real numbers")
        return np.array(value, dtype=np.float64)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, complex)):
        return np.array(value, dtype=np.float64)
    if isinstance(value, (list, tuple)):
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise BadReturn(f"{label} is a {type(value).__name__} that is not an array of numbers") from None
        if array.size > MAX_ELEMENTS:
            raise BadReturn(f"{label} has {array.size:,} elements")
        return array
    raise BadReturn(f"{label} is {_type_name(value)}, not an array")


class BadReturn(Exception):
    """The function returned something that is not the contract's (dW, db)."""


def _arrays(values, count, label):
    """A list of `count` arrays from a list/tuple; a BadReturn otherwise."""
    import numpy as np
    if isinstance(values, np.ndarray) and values.dtype == object:
        values = list(values)
    if not isinstance(values, (list, tuple)):
        raise BadReturn(f"{label} is {_type_name(values)}; expected a list of {count} arrays, one per layer")
    if len(values) != count:
        raise BadReturn(f"{label} holds {len(values)} arrays; the network has {count} layers (one array each)")
    return [_array(v, f"{label}[{k}]") for k, v in enumerate(values)]


def _gradients(result, depth, bias):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        what = _type_name(result) if not isinstance(result, (tuple, list)) else f"a {type(result).__name__} of {len(result)} items"
        raise BadReturn(f"backward returned {what}; expected a pair (dW, db)")
    dW = _arrays(result[0], depth, "dW")
    db = _arrays(result[1], depth, "db") if bias else None
    return dW, db


def _outputs(result, depth):
    """forward's result: the output array, or a list whose last array is the output."""
    if isinstance(result, (list, tuple)):
        if not result:
            raise BadReturn("forward returned an empty list")
        return [_array(v, f"forward's result[{k}]") for k, v in enumerate(result)]
    return [_array(result, "forward's result")]


def _run_case(case, spec, functions, module_file):
    import numpy as np
    depth, bias = spec["depth"], spec["bias"]
    x, y = _load(case, "x"), _load(case, "y")
    W = [_load(case, f"W{k}") for k in range(depth)]
    b = [_load(case, f"b{k}") for k in range(depth)] if bias else None
    copy = lambda arrays: None if arrays is None else [a.copy() for a in arrays]
    record = {"case": case, "status": "ok"}
    start = time.perf_counter()
    dW, db = _gradients(functions["backward"](copy(W), copy(b), x.copy(), y.copy()), depth, bias)
    record["seconds"] = time.perf_counter() - start
    for k, a in enumerate(dW):
        np.save(_path(f"out{case}_dW{k}.npy"), a, allow_pickle=False)
    for k, a in enumerate(db or []):
        np.save(_path(f"out{case}_db{k}.npy"), a, allow_pickle=False)
    if "forward" in functions:
        try:
            outs = _outputs(functions["forward"](copy(W), copy(b), x.copy()), depth)
            for k, a in enumerate(outs):
                np.save(_path(f"out{case}_fwd{k}.npy"), a, allow_pickle=False)
            record["forward"] = {"status": "ok", "count": len(outs)}
        except BadReturn as error:
            record["forward"] = {"status": "bad_return", "message": str(error)}
        except Exception as error:
            record["forward"] = _describe(error, module_file)
    if "loss" in functions:
        try:
            value = _array(functions["loss"](copy(W), copy(b), x.copy(), y.copy()), "loss's result")
            if value.size != 1:
                raise BadReturn(f"loss returned {value.size} numbers (shape {value.shape}); expected one number")
            record["loss"] = {"status": "ok", "value": float(value.reshape(-1)[0])}
        except BadReturn as error:
            record["loss"] = {"status": "bad_return", "message": str(error)}
        except Exception as error:
            record["loss"] = _describe(error, module_file)
    return record


def set_limits(limits):
    """The OS limits, before numpy or the student's file is loaded: CPU seconds (then SIGXCPU, and SIGKILL a
    second later), address space, bytes per file written, open files, no core dumps, no new processes or
    threads (not enforced for root, where the audit hook refuses them)."""
    import resource
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"] + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory"], limits["memory"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file"], limits["file"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    except (ValueError, OSError):
        pass


def main():
    with open(_path("job.json"), encoding="utf-8") as handle:
        job = json.load(handle)
    set_limits(job["limits"])
    send = open_channel(job["channel"])

    import importlib.util
    import site

    import numpy as np

    # numpy's folders and this file (tracebacks quote its lines); the standard library without site-packages
    numpy_folder = os.path.dirname(np.__file__)
    allowed = [numpy_folder, numpy_folder + ".libs", os.path.realpath(__file__)]
    denied = site.getsitepackages() + [site.getusersitepackages()]
    sys.meta_path.insert(0, OnlyAvailable(set(sys.stdlib_module_names) | {"numpy", "submission"}))
    install_guard(FOLDER, job["read_roots"], send, allowed, denied, tuple(job["own_files"]), job["limits"]["files"])
    module_file = job["module"]

    try:
        spec_ = importlib.util.spec_from_file_location("submission", _path(module_file))
        module = importlib.util.module_from_spec(spec_)
        sys.modules["submission"] = module
        spec_.loader.exec_module(module)
    except SyntaxError as error:
        send({"import": "syntax_error", "message": f"{error.msg} (line {error.lineno})"})
        return
    except BaseException as error:             # SystemExit and KeyboardInterrupt from the student's file too
        send({"import": "exception", **_describe(error, module_file)})
        return
    functions = {}
    for role, name in job["functions"].items():
        value = getattr(module, name, None)
        if not callable(value):
            if role == "backward":
                names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                               and getattr(v, "__module__", None) == "submission")
                send({"import": "no_function", "name": name, "found": names[:30]})
                return
            continue
        functions[role] = value
    send({"import": "ok", "functions": sorted(functions)})
    for case in range(job["cases"]):
        try:
            record = _run_case(case, job["spec"], functions, module_file)
        except BadReturn as error:
            record = {"case": case, "status": "bad_return", "message": str(error)}
        except MemoryError as error:
            record = {"case": case, **_describe(error, module_file), "status": "memory"}
        except RecursionError as error:
            record = {"case": case, **_describe(error, module_file)}
        except BaseException as error:         # one case failing must not stop the others
            record = {"case": case, **_describe(error, module_file)}
        send(record)
        sys.stdout.flush()
    send({"end": True})


if __name__ == "__main__":
    main()
