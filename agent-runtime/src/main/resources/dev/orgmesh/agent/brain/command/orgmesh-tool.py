#!/usr/bin/env python3
"""orgmesh: act as this agent from inside its command brain.

Every call is one action of the agent's action set, taken with the agent's own identity and checked
against its role's permissions, exactly as the runtime checks a model's tool call. The runtime that
started the command listens on $ORGMESH_TOOL_SOCKET while the command runs.

  orgmesh send TO TEXT [--FIELD VALUE]...       DM a member, or team:ID / all (TEXT is the summary)
  orgmesh enqueue ROLE TEXT [--FIELD VALUE]...  a task on a role's queue (TEXT is the subject)
  orgmesh publish EVENT TEXT [--FIELD VALUE]... an event {co}.events.EVENT (TEXT is the subject)
  orgmesh ask TO QUESTION [--timeout 30s]       ask a member; prints the answer (JSON)
  orgmesh secret NAME                           prints one of the agent's secrets (if its role may)
  orgmesh artifact PATH [--content TEXT]        writes a workspace file (content from stdin if not given)
  orgmesh escalate REASON                       tells the agent's manager it needs help
  orgmesh act JSON                              any action as JSON ({"action": "send", ...}); '-' reads stdin

Fields are envelope fields: --type, --subject, --summary, --context, --priority, --deadline, ...
Prints the result as one JSON object; exits 0 when the action was taken, 1 when it was refused
(the reason is in the result and on stderr), 2 on a usage error.
"""
import json
import os
import socket
import sys

MAIN_FIELD = {"send": ("to", "summary"), "enqueue": ("role", "subject"), "publish": ("event", "subject"),
              "ask": ("to", "subject"), "secret": ("name", None), "artifact": ("path", None),
              "escalate": ("reason", None)}


def usage(code):
    (sys.stdout if code == 0 else sys.stderr).write(__doc__)
    return code


def parse(argv):
    verb, rest = argv[0], argv[1:]
    if verb == "act":
        if len(rest) != 1:
            raise ValueError("act takes one JSON argument ('-' reads it from stdin)")
        return json.loads(sys.stdin.read() if rest[0] == "-" else rest[0])
    if verb not in MAIN_FIELD:
        raise ValueError("unknown verb '%s'" % verb)
    action = {"action": verb}
    positional = []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a.startswith("--") and len(a) > 2:
            if i + 1 >= len(rest):
                raise ValueError("%s needs a value" % a)
            action[a[2:].replace("-", "_")] = rest[i + 1]
            i += 2
        else:
            positional.append(a)
            i += 1
    first, second = MAIN_FIELD[verb]
    if positional:
        action.setdefault(first, positional[0])
    if len(positional) > 1:
        if second is None:
            raise ValueError("%s takes one argument besides its options" % verb)
        action.setdefault(second, " ".join(positional[1:]))
    if verb == "artifact" and "content" not in action:
        action["content"] = sys.stdin.read()
    return action


def main(argv):
    if not argv or argv[0] in ("-h", "--help", "help"):
        return usage(0 if argv else 2)
    try:
        action = parse(argv)
    except ValueError as e:
        sys.stderr.write("orgmesh: %s\n\n" % e)
        return usage(2)
    path = os.environ.get("ORGMESH_TOOL_SOCKET")
    if not path:
        sys.stderr.write("orgmesh: ORGMESH_TOOL_SOCKET is not set: this tool works inside a command brain only\n")
        return 2
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall((json.dumps(action) + "\n").encode("utf-8"))
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    result = json.loads(buf.decode("utf-8"))
    print(json.dumps(result, separators=(",", ":")))
    if not result.get("ok"):
        sys.stderr.write("orgmesh: %s %s: %s\n" % (result.get("action"), result.get("error"), result.get("message")))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
