"""Independent models to check the engine against (issue 17, item 7).

:mod:`spigot.validation.discrete` is a discrete-event (SimPy) model of the licence process:
whole applications, first come first served, a yes or no per application. It needs the
``validation`` extra (``pip install spigot[validation]``: SimPy). :mod:`spigot.validation.compare`
runs it beside the engine on the same draws and summarises both.
"""
