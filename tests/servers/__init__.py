"""Small real servers (real protocols, real libraries) started in the test 'dut' namespace."""
