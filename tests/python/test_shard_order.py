"""Parent-before-child order, on synthetic shard tables (streams are not resharded yet)."""

from shmstream import read_order


def shard(index, parent=None, adjacent=None, state="OPEN"):
    return {"index": index, "parent_index": parent, "adjacent_parent_index": adjacent, "state": state}


def test_no_parents_is_index_order():
    assert read_order([shard(2), shard(0), shard(1)]) == [0, 1, 2]


def test_split_children_follow_their_parent():
    table = [shard(0, state="CLOSED"), shard(1), shard(2, parent=0), shard(3, parent=0)]
    order = read_order(table)
    assert order.index(0) < order.index(2) and order.index(0) < order.index(3)


def test_merge_child_waits_for_both_parents():
    table = [shard(0, state="CLOSED"), shard(1, parent=2, adjacent=0), shard(2, state="CLOSED")]
    assert read_order(table) == [0, 2, 1]


def test_chains_and_expired_parents():
    table = [shard(0, state="EXPIRED"), shard(1, parent=0, state="CLOSED"), shard(2, parent=1),
             shard(3, parent=1), shard(4, parent=3, adjacent=2)]
    order = read_order(table)
    assert 0 not in order
    assert order[0] == 1 and order.index(4) > max(order.index(2), order.index(3))
