"""Job functions for the queue-library test (imported by the RQ worker process)."""


def add(a, b):
    return a + b


def shout(text):
    return text.upper()


def fail():
    raise ValueError("this job fails on purpose")
