"""Trainers' tools: the inbox of uncertain messages, adding examples, retraining safely."""
