"""The manifest body cache (signage/caches.py): built once per ETag."""

from __future__ import annotations


def test_manifest_body_is_built_once_per_etag(
    app, client, make_loop, pair_screen, monkeypatch
):
    from signage.screens import player_views

    builds = []
    real = player_views._build_manifest
    monkeypatch.setattr(
        player_views, "_build_manifest", lambda hb: builds.append(1) or real(hb)
    )
    loop = make_loop([{"title": "Một"}, {"title": "Hai"}])
    _screen, key = pair_screen(loop)
    auth = {"Authorization": f"Bearer {key}"}
    first = client.get("/play/api/manifest", headers=auth)
    second = client.get("/play/api/manifest", headers=auth)
    assert first.get_json() == second.get_json()
    assert [s["title"] for s in second.get_json()["slides"]] == ["Một", "Hai"]
    assert len(builds) == 1
