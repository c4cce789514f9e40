"""服务商库 (spec 2.2): digital service providers."""
