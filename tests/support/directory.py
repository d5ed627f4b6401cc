"""The longest real names a directory listing can carry: municipalities from the committed Japan
Post data (`furusato/domain/data/municipalities.tsv`), written in full with their prefecture and
county (和歌山県東牟婁郡那智勝浦町), longest in UTF-8 first."""

from __future__ import annotations

from pathlib import Path

_DATA = Path(__file__).resolve().parents[2] / "layers/core/python/furusato/domain/data/municipalities.tsv"


def longest_names(n: int) -> list[tuple[str, str]]:
    """(lg_code, full name) of the `n` municipalities with the longest names."""
    names: list[tuple[str, str]] = []
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        code, prefecture, municipality = line.split("\t")
        if municipality:
            names.append((code, prefecture + municipality))
    names.sort(key=lambda entry: (-len(entry[1].encode()), entry[0]))
    return names[:n]


def onboard_longest(n: int, page_chars: int) -> list[tuple[str, str]]:
    """Onboard the `n` governments with the longest names, settings at their widest and a page of
    `page_chars` characters each (kept out of the listing, which is the point): the directory's
    worst page. Returns their (lg_code, name), longest first."""
    from furusato import clock
    from furusato.domain.lg import LocalGovernment, Page, PremiumSettings
    from furusato.store import lgs

    widest = PremiumSettings(
        min_activities=100, long_stay_days=366, auto_approval=False, inactivity_months=120
    )
    names = longest_names(n)
    for code, name in names:
        lgs.onboard(
            LocalGovernment(
                lg_code=code,
                name=name,
                kind="municipality",
                prefecture_code=code[:2],
                settings=widest,
                onboarded_at=clock.iso(clock.now()),
            )
        )
        lgs.save_page(code, Page(title="紹介", body="あ" * page_chars, updated_at=clock.iso(clock.now())))
    return names
