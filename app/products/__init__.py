"""产品和解决方案库 (spec 2.3): the providers' products and solutions."""
