"""Muster's local stack: moto without whole-table copies and per-request work.

moto 5 makes a transaction all-or-nothing by deep-copying every table it
names, once per item of the transaction, stream included, and putting the
copy back on failure. On a table that holds a day of alerts that is most of
moto's time and memory: a 100-item transaction copies the table 100 times,
and the copies (cyclic through the table's stream) wait for Python's
collector long after the request. Here the transaction instead keeps a copy
of each item it names, and the stream's length, and on failure puts those
back; writes to DynamoDB are serialised so that nothing else writes between
a transaction's items or during its undo, as in DynamoDB. What a request
sees and gets back is unchanged.

A transaction's ClientRequestToken makes it idempotent in DynamoDB for ten
minutes, and the SDKs send the same token with every retry; moto ignores
it, so a retry after a lost answer applied a transaction twice. Here a
repeat of a call that succeeded succeeds without writing, as in DynamoDB.

DynamoDB writes no stream record for a write that changes nothing (a put
of the item as it is, an update that sets what is there); moto writes a
MODIFY, so a put the SDK sent again after a lost answer reached stream
consumers twice. Here such a write adds no record, as in DynamoDB.

Two more costs moto pays on every request, with no effect on what it
answers, are paid once: it lists its own package directory (a stat of each
of its ~150 modules, under a lock every request takes) to route a request,
and EventBridge compiles each of an event's eight JSONPath expressions with
a freshly generated parser for every target it delivers to. Both results are
now kept.

The runner and the tests put this file's directory on moto's PYTHONPATH;
Python imports it at start-up. If moto is not the version this was written
against, nothing is changed; either way moto says which on its error
output.
"""

import copy as _copy
import sys
import threading
import types


def _patch():
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if not isinstance(getattr(models, "copy", None), types.ModuleType):
        raise RuntimeError("moto.dynamodb.models no longer imports copy")

    local = threading.local()

    def deepcopy(x, memo=None):
        # Inside a transaction a table is not copied: the undo log below
        # restores what the transaction wrote.
        if getattr(local, "in_transaction", False) and isinstance(x, Table):
            return x
        return _copy.deepcopy(x, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=_copy.copy)

    writes = threading.RLock()

    def serialised(method):
        def locked(self, *args, **kwargs):
            with writes:
                return method(self, *args, **kwargs)

        locked.__name__ = method.__name__
        locked.__doc__ = method.__doc__
        return locked

    for name in ("put_item", "update_item", "delete_item"):
        setattr(backend, name, serialised(getattr(backend, name)))

    transact = backend.transact_write_items

    def undo_log(self, transact_items):
        """What to put back if the transaction fails: each named item as it
        is now, and each table's stream length."""
        items, streams = [], {}
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                if op_type == "Put":
                    attrs = op["Item"]
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                hash_key, range_key = self.get_keys_value(table, key)
                current = table.get_item(hash_key, range_key)
            except Exception:
                # moto refuses this item before writing it.
                continue
            items.append((table, hash_key, range_key, _copy.deepcopy(current)))
            shard = table.stream_shard
            if shard is not None and id(table) not in streams:
                streams[id(table)] = (shard, len(shard.items))
        return items, streams

    def put_back(items, streams):
        for table, hash_key, range_key, before in reversed(items):
            if range_key is not None:
                if before is None:
                    table.items[hash_key].pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = before
            elif before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
        for shard, length in streams.values():
            del shard.items[length:]

    def transact_write_items(self, transact_items):
        with writes:
            items, streams = undo_log(self, transact_items)
            local.in_transaction = True
            try:
                return transact(self, transact_items)
            except BaseException:
                put_back(items, streams)
                raise
            finally:
                local.in_transaction = False

    transact_write_items.__doc__ = transact.__doc__
    backend.transact_write_items = transact_write_items


def _idempotent_transactions():
    """DynamoDB applies a TransactWriteItems once per ClientRequestToken for
    ten minutes (the SDKs fill the token in and send it again with every
    retry): a repeat of a call that succeeded succeeds and writes nothing,
    one with other items is IdempotentParameterMismatchException, one while
    the first is still running is TransactionInProgressException. moto
    ignores the token, so a retry after a lost answer applied twice."""
    import collections
    import json
    import time

    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb import responses

    handle = responses.DynamoHandler.transact_write_items
    window = 600.0
    seen = collections.OrderedDict()  # token -> [items digest, time, done]
    lock = threading.Lock()

    def transact_write_items(self):
        token = self.body.get("ClientRequestToken")
        if not token:
            return handle(self)
        digest = json.dumps(self.body.get("TransactItems"), sort_keys=True)
        now = time.monotonic()
        with lock:
            while seen and next(iter(seen.values()))[1] < now - window:
                seen.popitem(last=False)
            entry = seen.get(token)
            if entry is None:
                seen[token] = [digest, now, False]
        if entry is not None:
            if entry[0] != digest:
                raise JsonRESTError("IdempotentParameterMismatchException",
                                    "The request uses the same client token as a previous, but non-identical request.")
            if not entry[2]:
                raise JsonRESTError("TransactionInProgressException",
                                    "The transaction with the given request token is already in progress.")
            return responses.ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        try:
            result = handle(self)
        except BaseException:
            with lock:
                seen.pop(token, None)  # nothing was written: a retry runs it again
            raise
        with lock:
            seen[token][2] = True
        return result

    transact_write_items.__doc__ = handle.__doc__
    responses.DynamoHandler.transact_write_items = transact_write_items


def _unchanged_writes_unstreamed():
    from moto.dynamodb.models.table import StreamShard

    add = StreamShard.add

    def add_if_changed(self, old, new):
        # moto compares items by key and attribute values (numbers as
        # numbers), as DynamoDB decides whether a write changed the item.
        if old is not None and new is not None and old == new:
            return
        add(self, old, new)

    add_if_changed.__doc__ = add.__doc__
    StreamShard.add = add_if_changed


def _cache_lookups():
    import functools

    import jsonpath_ng.ext
    from moto import backends

    modules = backends.list_of_moto_modules
    backends.list_of_moto_modules = functools.cache(lambda: tuple(modules()))
    # A compiled path is only read when it finds; events/utils imports
    # parse from the module at each call, so it gets the cached one.
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)


def _apply():
    import moto

    for what, done, change in (
        ("transactions", "keep an undo log, not table copies", _patch),
        ("transactions", "apply once per client request token", _idempotent_transactions),
        ("streams", "skip writes that change nothing", _unchanged_writes_unstreamed),
        ("routes and EventBridge paths", "are looked up once", _cache_lookups),
    ):
        try:
            if not moto.__version__.startswith("5."):
                raise RuntimeError("written for moto 5, found " + moto.__version__)
            change()
            print("muster: moto's %s %s" % (what, done), file=sys.stderr)
        except Exception as err:  # moto still runs, as it ships
            print("muster: moto's %s left as they ship: %s" % (what, err), file=sys.stderr)


def _chain():
    """Run the sitecustomize this file shadows, if the Python has one."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path[1:] if sys.path and sys.path[0] == "" else sys.path:
        path = os.path.join(os.path.abspath(entry or "."), "sitecustomize.py")
        if os.path.dirname(path) != here and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                exec(compile(f.read(), path, "exec"), {"__name__": "sitecustomize", "__file__": path})
            return


try:
    _apply()
except ImportError as err:
    print("muster: moto left as it ships: %s" % err, file=sys.stderr)
_chain()
