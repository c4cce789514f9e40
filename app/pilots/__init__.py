"""试点企业库 (spec 2.4): the pilot enterprises."""
