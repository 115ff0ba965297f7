"""Commands that compose the layers below: the standard release, the self-test, the command-level
conformance cases and the runner of the registry's example inputs."""
