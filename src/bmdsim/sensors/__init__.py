"""bmdsim.sensors"""
