"""Declaring the national spec's tables as forms: field builders (fields.py) and the form base class
that turns a form into the spec's JSON and back (form.py)."""
