print("wmsim")
