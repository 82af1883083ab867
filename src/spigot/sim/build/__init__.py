"""Build: the compiled network, the scenario's policy plan and the market parameters turned into the arrays
the kernels read (:mod:`.model` the engine's model, :mod:`.arrays` its named kernel arrays)."""
