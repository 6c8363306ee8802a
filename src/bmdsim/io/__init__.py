"""bmdsim.io"""
