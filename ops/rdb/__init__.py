"""Redis's RDB building blocks: CRC64 (Jones), LZF, length and string encodings, DUMP payloads.

The durability issue builds RDB files and DUMP/RESTORE on these; FUNCTION DUMP/RESTORE use them
already.
"""
