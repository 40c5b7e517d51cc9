"""Python client of the simgym gym (websocket protocol of SPEC.md).

Standard library plus the ``websockets`` package only. Two interfaces:

* ``AsyncSimgymEnv``: asyncio, for rollout workers that already run an
  event loop (verl, OpenRLHF, SkyRL agent loops). Many episodes can share
  one connection; requests are pipelined and matched to replies by id.
* ``SimgymEnv``: the same, synchronous, Gymnasium-like.

Both follow Gymnasium's shapes: ``reset() -> (obs, info)`` and
``step(action) -> (obs, reward, terminated, truncated, info)``. An action
is a dict: ``{"tool": NAME, "arguments": {...}}`` for a tool call or
``{"answer": TEXT}`` for the final answer.
"""

import asyncio
import itertools
import json
import threading

import websockets

__all__ = ["SimgymError", "AsyncSimgymEnv", "SimgymEnv", "AsyncConnection", "oracle_answer"]


class SimgymError(Exception):
    """An error reply from the server (``code`` and ``message``)."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


async def _connect(url, token):
    headers = {"Authorization": f"Bearer {token}"} if token else None
    if headers is None:
        return await websockets.connect(url, max_size=64 << 20)
    try:  # websockets >= 14
        return await websockets.connect(url, additional_headers=headers, max_size=64 << 20)
    except TypeError:  # older releases
        return await websockets.connect(url, extra_headers=headers, max_size=64 << 20)


class AsyncConnection:
    """One websocket connection; safe to share between many episodes."""

    def __init__(self, ws):
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending = {}
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, url="ws://127.0.0.1:8080/v1/gym", token=None):
        return cls(await _connect(url, token))

    async def _read(self):
        try:
            async for message in self._ws:
                reply = json.loads(message)
                fut = self._pending.pop(str(reply.get("id")), None)
                if fut is not None and not fut.done():
                    fut.set_result(reply)
        except websockets.ConnectionClosed:
            pass
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("simgym connection closed"))
            self._pending.clear()

    async def request(self, op, **fields):
        """Send one request and wait for its reply; raise SimgymError on an error reply."""
        rid = str(next(self._ids))
        fut = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        await self._ws.send(json.dumps({"id": rid, "op": op, **fields}))
        reply = await fut
        if reply.get("error"):
            raise SimgymError(reply["error"].get("code"), reply["error"].get("message"))
        return reply

    async def hello(self):
        return await self.request("hello")

    async def close(self):
        await self._ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)


class AsyncSimgymEnv:
    """One episode at a time of one environment, over a (shared) connection."""

    def __init__(self, conn, env):
        self.conn = conn
        self.env = env
        self.episode = None

    @classmethod
    async def connect(cls, env, url="ws://127.0.0.1:8080/v1/gym", token=None):
        return cls(await AsyncConnection.open(url, token), env)

    async def reset(self, task=None, seed=None):
        if self.episode is not None:
            await self._close_episode()
        fields = {"env": self.env}
        if task is not None:
            fields["task"] = task
        if seed is not None:
            fields["seed"] = seed
        reply = await self.conn.request("reset", **fields)
        self.episode = reply["episode"]
        return reply.get("observation"), reply.get("info", {})

    async def step(self, action):
        if self.episode is None:
            raise SimgymError("no_episode", "call reset() first")
        reply = await self.conn.request("step", episode=self.episode, action=action)
        done = bool(reply.get("done", False))
        truncated = bool(reply.get("truncated", False))
        return (reply.get("observation"), float(reply.get("reward", 0.0)),
                done and not truncated, truncated, reply.get("info", {}))

    async def fork(self):
        """A new env object on a copy of this episode (state and history)."""
        reply = await self.conn.request("fork", episode=self.episode)
        child = AsyncSimgymEnv(self.conn, self.env)
        child.episode = reply["episode"]
        return child

    async def _close_episode(self):
        try:
            await self.conn.request("close", episode=self.episode)
        except SimgymError as err:
            if err.code != "unknown_episode":
                raise
        self.episode = None

    async def close(self):
        if self.episode is not None:
            await self._close_episode()


class SimgymEnv:
    """Synchronous, Gymnasium-like client; runs its own event loop thread."""

    def __init__(self, env, url="ws://127.0.0.1:8080/v1/gym", token=None):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._async = self._run(AsyncSimgymEnv.connect(env, url, token))

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    @property
    def episode(self):
        return self._async.episode

    def hello(self):
        return self._run(self._async.conn.hello())

    def reset(self, task=None, seed=None):
        return self._run(self._async.reset(task=task, seed=seed))

    def step(self, action):
        return self._run(self._async.step(action))

    def close(self):
        try:
            self._run(self._async.close())
            self._run(self._async.conn.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)


def oracle_answer(task, observations):
    """The answer the ground truth gives: the values a task asks for.

    ``task`` is one line of ``simgym tasks --out FILE`` (the file the server
    was given with ``--tasks``); ``observations`` are the observations of
    its ``actions``, stepped in order. With them, the answer earns reward
    1.0: it is what the oracle policy of ``simgym eval`` says.
    """
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
