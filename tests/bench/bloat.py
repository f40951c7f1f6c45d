#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Size of the series' tracepoints, per patch, per event class and per event.

usage: bloat.py [-o JSON] STOCK_SRC PATCHED_SRC

For each patch of the series (commits pagemove-base..HEAD of PATCHED_SRC)
the objects built from the C files it touches are compared, stock obj/
against patched obj/, symbol by symbol with nm --size-sort (what
scripts/bloat-o-meter compares).  Every symbol that grew or appeared is
attributed to:
  - an event class (trace_event_raw_event_C, perf_trace_C, __bpf_trace_C,
    trace_raw_output_C, trace_event_fields_C, trace_event_type_funcs_C,
    print_fmt_C, event_class_C), for the classes the patch's trace headers
    declare (DECLARE_EVENT_CLASS, and TRACE_EVENT: a class of its own);
  - an event (__traceiter_E, __probestub_E, __tracepoint_E, event_E,
    __event_E, __tpstrtab_E, __SCK__tp_func_E, __SCT__tp_func_E,
    __bpf_trace_tp_map_E, trace_event_raw_event_E...), for every event;
  - the trace system (enum names for tracefs, __print_symbolic tables);
  - the call sites: functions that existed before and grew;
  - new functions, by name: code a tracepoint patch adds outside the
    trace machinery, for a reviewer to look at.
Section totals (text, data, bss) of each object come from size(1).
Prints a table; -o writes the same as JSON.
"""
import json
import re
import subprocess
import sys

CLASS_PREFIXES = ("trace_event_raw_event_", "perf_trace_", "__bpf_trace_",
                  "trace_raw_output_", "trace_event_fields_",
                  "trace_event_type_funcs_", "print_fmt_", "event_class_")
EVENT_PREFIXES = ("__traceiter_", "__probestub_", "__tracepoint_", "event_",
                  "__event_", "__tpstrtab_", "__SCK__tp_func_",
                  "__SCT__tp_func_", "__bpf_trace_tp_map_",
                  "__trace_event_", "__tracepoint_ptr_", "__trace_check_",
                  "__UNIQUE_ID_addressable___SCK__tp_func_")
# The system's own: enum names exported to tracefs (TRACE_DEFINE_ENUM, EM()),
# the symbol tables of __print_symbolic, the system name.
SYSTEM_RE = re.compile(r"^(__)?TRACE_SYSTEM_|^str__\w+__trace_system_name$|"
                       r"^symbols$|^__UNIQUE_ID_addressable___SCK__WARN_trap_")


def git(src, *args):
    return subprocess.run(["git", "-C", src, *args], check=True,
                          capture_output=True, text=True).stdout


def nm_sizes(path):
    """{symbol: (size, nm type)} of the defined, sized symbols of an object."""
    out = subprocess.run(["nm", "--size-sort", path], check=True,
                         capture_output=True, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        size, kind, name = parts
        name = re.sub(r"\.[0-9]+$", "", name)	# static duplicates
        name = re.sub(r"^(__BTF_ID__\w+?__)(\w+)__[0-9]+$", r"\2", name)
        name = re.sub(r"^(__UNIQUE_ID_addressable_\w+)_[0-9]+$", r"\1", name)
        old = sizes.get(name, (0, kind))[0]
        sizes[name] = (old + int(size, 16), kind)
    return sizes


def section_sizes(path):
    out = subprocess.run(["size", path], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    text, data, bss = out[1].split()[:3]
    return {"text": int(text), "data": int(data), "bss": int(bss)}


def declared(patch_text):
    """(classes, events) an added trace header declares."""
    classes, events = set(), set()
    for m in re.finditer(r"^\+\s*(DECLARE_EVENT_CLASS|TRACE_EVENT|"
                         r"TRACE_EVENT_CONDITION|DEFINE_EVENT|"
                         r"DEFINE_EVENT_CONDITION|DEFINE_EVENT_PRINT)\(\s*(\w+)"
                         r"(?:,\s*(\w+))?", patch_text, re.M):
        kind, a, b = m.groups()
        if kind == "DECLARE_EVENT_CLASS":
            classes.add(a)
        elif kind.startswith("TRACE_EVENT"):
            classes.add(a)
            events.add(a)
        elif b:
            events.add(b)
    return classes, events


def strip_prefix(name, prefixes, names):
    for p in prefixes:
        if name.startswith(p) and name[len(p):] in names:
            return name[len(p):]
    return None


def main():
    args = sys.argv[1:]
    out_json = None
    if len(args) >= 2 and args[0] == "-o":
        out_json, args = args[1], args[2:]
    if len(args) != 2:
        sys.exit(__doc__)
    stock, patched = args
    commits = git(patched, "rev-list", "--reverse",
                  "pagemove-base..HEAD").split()
    if not commits:
        sys.exit("bloat.py: the series has no commits in " + patched)
    report = []
    for c in commits:
        subject = git(patched, "log", "-1", "--format=%s", c).strip()
        text = git(patched, "show", "--format=", c)
        classes, events = declared(text)
        files = [f for f in git(patched, "show", "--name-only", "--format=",
                                c).split() if f.endswith(".c")]
        entry = {"patch": subject, "objects": {}, "classes": {},
                 "events": {}, "system": 0, "call_sites": 0,
                 "new_functions": {}, "other": 0}
        for f in files:
            o = f[:-2] + ".o"
            old, new = f"{stock}/obj/{o}", f"{patched}/obj/{o}"
            try:
                so, sn = section_sizes(old), section_sizes(new)
                before, after = nm_sizes(old), nm_sizes(new)
            except (subprocess.CalledProcessError, FileNotFoundError,
                    IndexError) as e:
                sys.exit(f"bloat.py: cannot read {o} in both trees: {e}")
            entry["objects"][o] = {k: sn[k] - so[k] for k in so}
            for sym, (size, kind) in after.items():
                delta = size - before.get(sym, (0, kind))[0]
                if delta <= 0:
                    continue
                cl = strip_prefix(sym, CLASS_PREFIXES, classes)
                ev = strip_prefix(sym, EVENT_PREFIXES, events)
                if cl is not None:
                    entry["classes"][cl] = entry["classes"].get(cl, 0) + delta
                elif ev is not None:
                    entry["events"][ev] = entry["events"].get(ev, 0) + delta
                elif SYSTEM_RE.search(sym):
                    entry["system"] += delta
                elif sym in before:
                    entry["call_sites"] += delta
                elif kind in "Tt":
                    entry["new_functions"][sym] = delta
                else:
                    entry["other"] += delta
        # TRACE_EVENT()s are a class and an event: symbols named after
        # them were counted once, as the class.
        for e in events:
            entry["events"].setdefault(e, 0)
        report.append(entry)

    for e in report:
        print(e["patch"])
        for o, d in e["objects"].items():
            print(f"  {o:36s} text {d['text']:+7d}  data {d['data']:+6d}"
                  f"  bss {d['bss']:+5d}")
        nc, ne = len(e["classes"]), len(e["events"])
        csum, esum = sum(e["classes"].values()), sum(e["events"].values())
        if nc:
            print(f"  {nc} classes: {csum} bytes, {csum // nc} a class "
                  f"(min {min(e['classes'].values())}, "
                  f"max {max(e['classes'].values())})")
        if ne:
            print(f"  {ne} events: {esum} bytes of per-event symbols, "
                  f"{esum // ne} an event")
        print(f"  system (enum names, symbol tables): {e['system']} bytes")
        print(f"  call sites (functions that grew): {e['call_sites']} bytes")
        for fn, size in sorted(e["new_functions"].items()):
            print(f"  new function {fn}: {size} bytes")
        print(f"  other new symbols: {e['other']} bytes")
    if out_json:
        with open(out_json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
