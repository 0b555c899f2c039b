"""Sanic 21.12's WebSocket receive on Python 3.11: it works, and leaves nothing behind."""
import asyncio

from shopbot.desk.sanic_compat import patch_websocket_recv


def sanic_websocket_wait():
    """The `asyncio.wait` Sanic's WebSocket `recv()` calls, once patched."""
    patch_websocket_recv()
    from sanic.server.websockets import impl

    return impl.asyncio.wait


def test_receiving_takes_the_bare_coroutine_sanic_passes():
    wait = sanic_websocket_wait()

    async def frame():
        return "你好"

    async def scenario():
        done, pending = await wait((asyncio.get_running_loop().create_future(), frame()),
                                   return_when=asyncio.FIRST_COMPLETED)
        return [task.result() for task in done], len(pending)

    assert asyncio.run(scenario()) == (["你好"], 1)


def test_a_socket_closing_while_it_waits_leaves_no_task_pending():
    """Each closed chat used to leave its frame reader pending until garbage collection (an ERROR in the log)."""
    wait = sanic_websocket_wait()
    reader_ended = []

    async def next_frame():
        try:
            await asyncio.Event().wait()  # the buyer never types again
        finally:
            reader_ended.append(True)

    async def scenario():
        cancel = asyncio.get_running_loop().create_future()
        receiving = asyncio.ensure_future(wait((cancel, next_frame()), return_when=asyncio.FIRST_COMPLETED))
        await asyncio.sleep(0.01)
        receiving.cancel()  # the socket's handler ends
        await asyncio.gather(receiving, return_exceptions=True)
        await asyncio.sleep(0)
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return left, cancel.cancelled()

    left, sanic_future_cancelled = asyncio.run(scenario())
    assert left == [] and reader_ended == [True]
    assert not sanic_future_cancelled  # Sanic's own future is Sanic's to settle
