"""bmdsim.sim"""
