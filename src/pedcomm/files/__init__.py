"""The file layer: how pedcomm reads its inputs and writes its outputs.

- ``inputs``: every input path is checked (a regular file, within the size limit of its role)
  before it is opened, and read without ever blocking (pedcomm.files.inputs);
- ``jsonsafe`` and ``yamlsafe``: bounded parsing of JSON and YAML from elsewhere;
- ``outputs``: the one way to write a folder or a file: refuses outputs that touch an input or
  replace anything pedcomm did not write, locks the output, writes a private temporary, then
  renames it into place (pedcomm.files.outputs).

This package sits at the bottom of pedcomm: it imports nothing from the rest of pedcomm at module
level (the output marker reads the tool and standard versions when it is written).
"""
