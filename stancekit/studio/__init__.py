"""The Label Studio round trip: server, project, push, pull, agreement, adjudication, gold dataset."""
