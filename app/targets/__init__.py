"""绩效管理 (spec 2.5): the city's performance targets per pilot industry."""
