"""bmdsim.assessment"""
