"""bmdsim.tracking"""
