"""Tests of simgym_client against a real running server.

Usage: python3 test_client.py WS_URL TASKS_JSONL
The server must serve the tasks of TASKS_JSONL (simgym serve --tasks).
Prints 'N passed, N failed' and exits non-zero on failure.
"""

import asyncio
import json
import sys

from simgym_client import AsyncSimgymEnv, SimgymEnv, SimgymError

URL, TASKS = sys.argv[1], sys.argv[2]
tasks = [json.loads(line) for line in open(TASKS) if line.strip()]
results = []


def check(name, cond):
    results.append((name, bool(cond)))
    print(("ok   " if cond else "FAIL ") + name)


def oracle_answer(task, observations):
    parts = []
    for ref in task.get("output_refs") or []:
        obs = observations[ref["step"]]
        if isinstance(obs, list):
            obs = obs[0] if obs else {}
        value = obs.get(ref["field"]) if isinstance(obs, dict) else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is not None:
            parts.append(str(value))
    return "; ".join(parts)


def test_sync():
    task = tasks[0]
    env = SimgymEnv(task["domain"], URL)
    hello = env.hello()
    check("hello lists environments", len(hello["environments"]) > 0)
    obs, info = env.reset(task=task["id"])
    check("reset gives the instruction", obs["instruction"] == task["instruction"])
    check("reset gives tools", len(obs["tools"]) > 0)
    observations = []
    for a in task["actions"]:
        o, reward, terminated, truncated, info = env.step({"tool": a["tool"], "arguments": a["arguments"]})
        observations.append(o)
        check("tool step is not terminal", not terminated and not truncated and reward == 0.0)
        check("step info carries the process signal", info["signal"]["exact"] is True)
    o, reward, terminated, truncated, info = env.step({"answer": oracle_answer(task, observations)})
    check("oracle earns reward 1 (sync)", reward == 1.0 and terminated and not truncated)
    try:
        env.step({"answer": "again"})
        check("a finished episode refuses steps", False)
    except SimgymError as err:
        check("a finished episode refuses steps", err.code == "episode_done")
    env.close()


async def test_async():
    task = tasks[-1]
    env = await AsyncSimgymEnv.connect(task["domain"], URL)
    obs, info = await env.reset(task=task["id"])
    child = None
    observations = []
    for i, a in enumerate(task["actions"]):
        o, reward, terminated, truncated, info = await env.step({"tool": a["tool"], "arguments": a["arguments"]})
        observations.append(o)
        if i == 0:
            child = await env.fork()
    _, reward, terminated, _, info = await env.step({"answer": oracle_answer(task, observations)})
    check("oracle earns reward 1 (async)", reward == 1.0 and terminated)
    # The fork diverges: it stops after one action, so its state or
    # answer misses the ground truth unless the task is a single read.
    _, child_reward, child_done, _, child_info = await child.step({"answer": "nothing"})
    check("fork ends on its own", child_done and child_reward in (0.0, 1.0))
    # Many episodes pipelined on one connection.
    envs = [AsyncSimgymEnv(env.conn, task["domain"]) for _ in range(8)]
    await asyncio.gather(*(e.reset(seed=i) for i, e in enumerate(envs)))
    check("pipelined resets give distinct episodes", len({e.episode for e in envs}) == 8)
    await asyncio.gather(*(e.close() for e in envs))
    try:
        await env.conn.request("dance")
        check("unknown op is an error reply", False)
    except SimgymError as err:
        check("unknown op is an error reply", err.code == "unknown_op")
    await env.close()
    await env.conn.close()


test_sync()
asyncio.run(test_async())
passed = sum(1 for _, ok in results if ok)
failed = len(results) - passed
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
