"""bmdsim.web"""
