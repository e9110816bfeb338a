"""The matrix form of backprop: layer equations over a batch, in either layout; derived, proven entry by
entry against the scalar chain rule, evaluated with numpy, drawn on a sheet, and graded."""
