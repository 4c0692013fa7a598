StandInMain.run()
