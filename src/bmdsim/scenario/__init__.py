"""bmdsim.scenario"""
