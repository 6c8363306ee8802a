"""bmdsim.cli"""
