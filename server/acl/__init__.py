"""Access control lists: users and their permissions (`users.py`), which keys and channels a
command touches with which access (`access.py`), and the server's user registry, ACL log and
aclfile (`registry.py`)."""
