"""What one frame to a widget or a console holds: events queued together leave together."""
from shopbot.desk.frames import events_in, frame_of


def test_a_lone_event_is_sent_as_it_is_and_several_as_one_batch_in_order():
    line = {"type": "message", "message": {"id": 1, "sender": "buyer", "text": "在吗"}}
    answer = {"type": "message", "message": {"id": 2, "sender": "bot", "text": "亲,在的哦"}}
    assert frame_of([line]) == line
    assert events_in(frame_of([line])) == [line]
    assert frame_of([line, answer])["type"] == "batch"
    assert events_in(frame_of([line, answer])) == [line, answer]


def test_a_client_reading_frames_skips_what_is_not_an_event():
    assert events_in({"type": "batch", "events": [1, "x", {"type": "typing", "on": True}]}) == [
        {"type": "typing", "on": True}]
    assert events_in(["not", "a", "frame"]) == [] and events_in(None) == []
