"""Strategy: the trust's objectives and KPIs, roadmap, risks, budget and the director's dashboard."""
