from trial.views import history, screening, treatment

urlpatterns = [*screening.urlpatterns, *treatment.urlpatterns, *history.urlpatterns]
