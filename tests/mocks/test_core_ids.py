"""Ids come from one seeded RNG: same seed, same ids, in-process or over a server."""

from __future__ import annotations

import base64
import random
import re
import uuid

import pytest

from mocks._core import IdGenerator, MockHandle, salesforce_checksum

from ._toy import ToyBackend


def _ids(rng_seed: int) -> list[object]:
    ids = IdGenerator(random.Random(rng_seed))
    return [ids.numeric(), ids.salesforce(), ids.wamid(), ids.uuid(), ids.token(), ids.hex(8)]


def test_same_seed_same_ids() -> None:
    assert _ids(5) == _ids(5)
    assert _ids(5) != _ids(6)


def test_id_shapes() -> None:
    ids = IdGenerator(random.Random(0))
    assert len(str(ids.numeric(digits=12))) == 12
    assert uuid.UUID(ids.uuid()).version == 4
    sf = ids.salesforce("003")
    assert re.fullmatch(r"003[0-9A-Za-z]{12}[A-Z0-5]{3}", sf)
    assert sf[15:] == salesforce_checksum(sf[:15])
    wamid = ids.wamid("16505551234")
    assert wamid.startswith("wamid.HBgL")
    assert b"16505551234" in base64.b64decode(wamid.removeprefix("wamid."))


def test_salesforce_checksum_known_value() -> None:
    # Upper-case positions per 5-char chunk: none -> "A", first -> "B", all five -> "5".
    assert salesforce_checksum("aaaaa" + "Aaaaa" + "AAAAA") == "AB5"


@pytest.mark.parametrize(
    "call",
    [
        lambda ids: ids.numeric(digits=0),
        lambda ids: ids.salesforce("0Q"),
        lambda ids: ids.wamid("+1650"),
        lambda ids: ids.token(0),
    ],
)
def test_bad_id_arguments(call: object) -> None:
    with pytest.raises(ValueError, match=r"."):
        call(IdGenerator(random.Random(0)))  # type: ignore[operator]


def test_admin_seed_makes_service_ids_reproducible(toy: MockHandle[ToyBackend]) -> None:
    def created() -> list[str]:
        toy.reset()
        toy.admin.seed(99)
        return [toy.client.post("/items", json={}).json()["id"] for _ in range(3)]

    first = created()
    assert len(set(first)) == 3
    assert created() == first


def test_reset_restarts_the_rng_from_its_seed(toy: MockHandle[ToyBackend]) -> None:
    first = toy.client.post("/items", json={}).json()
    toy.reset()
    assert toy.client.post("/items", json={}).json() == first
