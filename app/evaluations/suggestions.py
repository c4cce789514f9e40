"""Products and solutions of the platform's own product library (2.3) whose application scenes
(useSceneList, on the spec's scene tree) fall under the evaluation's weak scenes. The 16 evaluation scenes
map onto the spec's level-2 scenes through the rule data (`spec_scene_paths`)."""
from __future__ import annotations

import json

from sqlmodel import Session, select

from app.evaluations import rules as R
from app.products.models import Product

PER_SCENE = 3


def weak_scenes(result: dict, limit: int = 6) -> list[dict]:
    """The scenes to raise for the next level; at the top level (or with nothing to raise) the lowest ones."""
    picks = list((result.get("next") or {}).get("raise") or [])
    if len(picks) < limit:
        chosen = {p["id"] for p in picks}
        rest = sorted((s for s in result["scenes"] if s["id"] not in chosen and s["level"] < 4),
                      key=lambda s: (s["level"], not s["constrained"]))
        picks += [{"id": s["id"], "name": s["name"], "constrained": s["constrained"], "from": s["level"],
                   "to": s["level"] + 1} for s in rest[:limit - len(picks)]]
    return picks[:limit]


def for_scenes(session: Session, rules: R.Rules, scenes: list[dict]) -> list[dict]:
    """[{scene, path, products: [{name, company, desc, id}]}] from the formal (approved) product records."""
    out = []
    for scene in scenes:
        path = rules.spec_scene_paths.get(scene["name"])
        if not path:
            continue
        stmt = (select(Product).where(Product.formal_payload.is_not(None),
                                      Product.formal_payload.contains(path, autoescape=True))
                .order_by(Product.formal_at.desc()).limit(PER_SCENE * 4))
        found = []
        for product in session.exec(stmt):
            wire = json.loads(product.formal_payload)
            hits = [s for s in wire.get("useSceneList") or [] if str(s.get("itemName") or "").startswith(path)]
            if hits:
                found.append({"id": product.id, "name": wire.get("softwareName") or product.title,
                              "company": wire.get("companyName") or "", "desc": hits[0].get("desc") or "",
                              "scene": hits[0].get("itemName")})
            if len(found) >= PER_SCENE:
                break
        out.append({"scene": scene, "path": path, "products": found})
    return out
